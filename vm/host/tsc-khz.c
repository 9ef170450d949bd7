// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz: print this machine's TSC frequency in kHz, measured against
 * CLOCK_MONOTONIC_RAW over 200 ms.  vm/run.sh passes it to a TCG guest
 * (tsc_early_khz=), whose TSC is the host's: without HPET or an ACPI PM
 * timer (our guest kernel has no ACPI) the guest cannot calibrate its
 * TSC against the emulated PIT under TCG, and falls back to the jiffies
 * clocksource, whose clock moves in whole timer ticks.
 *
 * Exit status 1, nothing printed, when the TSC does not tick at a
 * constant rate (no constant_tsc and nonstop_tsc in /proc/cpuinfo).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static int has_flags(void)
{
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int ok = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
		break;
	}
	fclose(f);
	return ok;
}

static uint64_t ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void)
{
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	uint64_t t0, t1, c0, c1;

	if (!has_flags())
		return 1;
	t0 = ns();
	c0 = __rdtsc();
	nanosleep(&nap, NULL);
	t1 = ns();
	c1 = __rdtsc();
	if (t1 <= t0 || c1 <= c0)
		return 1;
	printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000 / (t1 - t0)));
	return 0;
}
