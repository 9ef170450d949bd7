/*-------------------------------------------------------------------------
 *
 * nvme.c
 *	  What an NVMe namespace promises about atomic writes, from its
 *	  Identify data (libnvme), for the report and the probe's decision.
 *
 * The kernel derives its atomic write limits from the same fields, but
 * sysfs shows only the result.  Here, for a location on an NVMe
 * namespace: the controller's AWUN and AWUPF, the namespace's NAWUN and
 * NAWUPF (when NSFEAT says they are defined), the power-fail atomic
 * boundary (NABSPF) and its offset (NABO), all in bytes, and whether the
 * controller has a volatile write cache.  Identify needs the namespace's
 * device node open for reading, which the server's user may not be
 * allowed: the report then says why it is missing.  Built without
 * libnvme (WTSMGR_HAVE_LIBNVME undefined), the report says that.
 *
 * src/nvme.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <endian.h>
#include <fcntl.h>
#include <unistd.h>

#ifdef WTSMGR_HAVE_LIBNVME
#include <libnvme.h>
#endif

#include "wtsmgr.h"

/* "nvme0n1" or "nvme0n1p2": an NVMe namespace or one of its partitions */
static bool
namespace_name(const char *dev, char *out, size_t outlen)
{
	const char *p = dev;

	if (strncmp(p, "nvme", 4) != 0)
		return false;
	p += 4;
	if (!isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p))
		p++;
	if (*p++ != 'n' || !isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p))
		p++;
	if (*p != '\0' && *p != 'p')
		return false;
	snprintf(out, outlen, "%.*s", (int) (p - dev), dev);
	return true;
}

void
wtsmgr_nvme_report(WtsmgrLocation *loc)
{
	char		ns_name[64];

	loc->nvme_awun = loc->nvme_awupf = -1;
	loc->nvme_nawun = loc->nvme_nawupf = -1;
	loc->nvme_boundary = loc->nvme_boundary_offset = -1;
	loc->nvme_vwc = -1;
	loc->nvme_report[0] = '\0';

	if (!loc->has_device ||
		!namespace_name(loc->dev_name, ns_name, sizeof(ns_name)))
		return;					/* not NVMe: no report */

#ifndef WTSMGR_HAVE_LIBNVME
	snprintf(loc->nvme_report, sizeof(loc->nvme_report),
			 "not available: wtsmgr was built without libnvme");
#else
	{
		char		path[96];
		struct nvme_id_ctrl ctrl;
		struct nvme_id_ns ns;
		__u32		nsid;
		uint64		lba;
		int			fd;

		snprintf(path, sizeof(path), "/dev/%s", ns_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
		{
			snprintf(loc->nvme_report, sizeof(loc->nvme_report),
					 "could not open \"%s\": %s", path, strerror(errno));
			return;
		}
		if (nvme_get_nsid(fd, &nsid) != 0 ||
			nvme_identify_ctrl(fd, &ctrl) != 0 ||
			nvme_identify_ns(fd, nsid, &ns) != 0)
		{
			snprintf(loc->nvme_report, sizeof(loc->nvme_report),
					 "Identify failed on \"%s\": %s", path, strerror(errno));
			close(fd);
			return;
		}
		close(fd);

		lba = UINT64CONST(1) << ns.lbaf[ns.flbas & 0x0f].ds;
		/* all of these are 0's based counts of logical blocks */
		loc->nvme_awun = (le16toh(ctrl.awun) + 1) * lba;
		loc->nvme_awupf = (le16toh(ctrl.awupf) + 1) * lba;
		if (ns.nsfeat & NVME_NS_FEAT_NATOMIC)
		{
			loc->nvme_nawun = (le16toh(ns.nawun) + 1) * lba;
			loc->nvme_nawupf = (le16toh(ns.nawupf) + 1) * lba;
		}
		/* no power-fail boundary when NABSPF is 0 */
		loc->nvme_boundary = ns.nabspf ? (le16toh(ns.nabspf) + 1) * lba : 0;
		loc->nvme_boundary_offset = le16toh(ns.nabo) * lba;
		loc->nvme_vwc = (ctrl.vwc & NVME_CTRL_VWC_PRESENT) ? 1 : 0;
		snprintf(loc->nvme_report, sizeof(loc->nvme_report), "ok");
	}
#endif
}

/*
 * Whether the namespace's power-fail guarantees admit BLCKSZ pages (true
 * when there is no report); if not, why.
 */
bool
wtsmgr_nvme_admits_pages(const WtsmgrLocation *loc, char *why, size_t whylen)
{
	int64		unit;

	if (strcmp(loc->nvme_report, "ok") != 0)
		return true;
	unit = loc->nvme_nawupf >= 0 ? loc->nvme_nawupf : loc->nvme_awupf;
	if (unit < BLCKSZ)
	{
		snprintf(why, whylen,
				 "the NVMe namespace guarantees atomicity on power failure for %lld bytes only",
				 (long long) unit);
		return false;
	}
	if (loc->nvme_boundary > 0 &&
		(loc->nvme_boundary % BLCKSZ != 0 ||
		 loc->nvme_boundary_offset % BLCKSZ != 0))
	{
		snprintf(why, whylen,
				 "the NVMe namespace's power-fail atomic boundary (%lld bytes at offset %lld) cuts %d-byte pages",
				 (long long) loc->nvme_boundary,
				 (long long) loc->nvme_boundary_offset, BLCKSZ);
		return false;
	}
	return true;
}
