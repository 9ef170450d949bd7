// SPDX-License-Identifier: GPL-2.0
/*
 * insnloop: execute a known number of instructions, to calibrate the
 * instruction-counting plugin (bench/plugin/insn.c).
 *
 * usage: insnloop N    runs a loop of exactly 2*N instructions
 *                      ("dec; jnz"), prints that number
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long n;

	if (argc != 2 || (n = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: insnloop N\n");
		return 2;
	}
#if defined(__x86_64__)
	{
		unsigned long c = n;

		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(c) : : "cc");
	}
#else
#error "insnloop counts x86_64 instructions"
#endif
	printf("loop_insns %lu\n", 2 * n);
	return 0;
}
