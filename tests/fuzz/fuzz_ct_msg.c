/* fuzz_ct_msg: the conntrack message parser (collector_parse) on a stream
 * of netlink messages, checked and walked as the collector's receive loops
 * check and walk one (util_nl_frames_ok, then libmnl). */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct flow_rec rec;
	char *buf;
	int n = (int)size;

	if (size > 1 << 20)
		return 0;
	/* Netlink buffers are aligned; the fuzzer's bytes need not be. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (!util_nl_frames_ok(buf, size))
		n = 0;
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, n);
	     nlh = mnl_nlmsg_next(nlh, &n))
		(void)collector_parse(nlh, &rec);
	free(buf);
	return 0;
}
