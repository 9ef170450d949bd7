// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * insn: a QEMU TCG plugin that counts the guest instructions executed by
 * the whole virtual machine (every vCPU: kernel, idle loop, PostgreSQL),
 * so that the benchmark can report instructions per transaction, a cost
 * that does not depend on how fast the host emulates.
 *
 * Counting: at translation each translated block gets an inline
 * "add n_insns" on a per-vCPU scoreboard entry, executed when the block
 * is entered.  A block left early (exception, interrupt) is counted in
 * full, so the figure is exact up to such exits; it costs almost nothing
 * at run time (no callback per instruction).  A halted vCPU executes
 * nothing, so an idle guest adds little; the benchmark measures an idle
 * baseline the same way and reports it.
 *
 * Marks: the guest asks for a reading by creating the file named by
 * ctl= (on the shared folder /wtsmgr/out) with a label in it.  A thread
 * of the plugin polls for that file every 10 ms, appends
 *     LABEL TOTAL_INSNS HOST_NS
 * to the file named by log=, and then removes the control file, so the
 * guest knows the reading was taken (it waits for the file to vanish).
 * The reading lags the request by at most one poll interval plus the 9p
 * round trip, negligible against windows of minutes.  At exit the total
 * is appended with the label "exit".
 *
 * Usage: -plugin insn.so,ctl=/wtsmgr/out/insn.ctl,log=/wtsmgr/out/insn.log
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 insns;
static char ctl_path[4096];
static char log_path[4096];
static volatile int stopping;
static pthread_t poller;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Append "LABEL TOTAL HOST_NS" to the log. */
static void record(const char *label)
{
	uint64_t total = qemu_plugin_u64_sum(insns);
	FILE *f;

	pthread_mutex_lock(&log_lock);
	f = fopen(log_path, "a");
	if (f) {
		fprintf(f, "%s %" PRIu64 " %" PRIu64 "\n", label, total, host_ns());
		fclose(f);
	} else {
		fprintf(stderr, "insn plugin: %s: %s\n", log_path, strerror(errno));
	}
	pthread_mutex_unlock(&log_lock);
}

/* Take a reading for each control file the guest leaves. */
static void *poll_ctl(void *arg)
{
	(void)arg;
	while (!stopping) {
		FILE *f = fopen(ctl_path, "r");

		if (f) {
			char label[256] = "";
			size_t n = fread(label, 1, sizeof(label) - 1, f);

			fclose(f);
			label[n] = 0;
			label[strcspn(label, " \t\r\n")] = 0;
			/* An empty file: the guest has not finished writing it. */
			if (label[0]) {
				record(label);
				unlink(ctl_path);
			}
		}
		usleep(10000);
	}
	return NULL;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
		tb, QEMU_PLUGIN_INLINE_ADD_U64, insns, qemu_plugin_tb_n_insns(tb));
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	stopping = 1;
	pthread_join(poller, NULL);
	record("exit");
	qemu_plugin_scoreboard_free(counts);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "ctl=", 4) == 0)
			snprintf(ctl_path, sizeof(ctl_path), "%s", argv[i] + 4);
		else if (strncmp(argv[i], "log=", 4) == 0)
			snprintf(log_path, sizeof(log_path), "%s", argv[i] + 4);
		else {
			fprintf(stderr, "insn plugin: unknown argument %s (ctl=FILE, log=FILE)\n",
				argv[i]);
			return -1;
		}
	}
	if (!ctl_path[0] || !log_path[0]) {
		fprintf(stderr, "insn plugin: ctl=FILE and log=FILE are required\n");
		return -1;
	}
	counts = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	insns = qemu_plugin_scoreboard_u64(counts);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	unlink(ctl_path);
	{
		/* Which API the loading QEMU offers, for the report. */
		char label[128];

		snprintf(label, sizeof(label), "start:api=%d-%d:built=%d:%s",
			 info->version.min, info->version.cur, QEMU_PLUGIN_VERSION,
			 info->system_emulation ? "system" : "user");
		record(label);
	}
	if (pthread_create(&poller, NULL, poll_ctl, NULL) != 0) {
		fprintf(stderr, "insn plugin: cannot start the polling thread\n");
		return -1;
	}
	return 0;
}
