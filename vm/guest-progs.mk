# Rules for the small C programs that run in the guest (kernel/tests/,
# bench/progs/), built on the host inside the guest root (vm/chroot.sh)
# into $(O).  The including Makefile, two levels below the top, sets
# PROGS before including this file and per-program LDLIBS after it.
O ?= .
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -I../../include

all: $(addprefix $(O)/,$(PROGS))

$(O)/%: %.c ../../include/wtsmgr_uapi.h
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

clean:
	rm -f $(addprefix $(O)/,$(PROGS))

.PHONY: all clean
