/* fuzz_sock_diag: the sock_diag and RTM_GETADDR answer parsers
 * (proc_lookup_feed), then lookups in what they built.  The first byte
 * picks the protocol the answer is for (0: addresses). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_lookup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t protos[] = {
	0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct proc_sock_key key;
	struct flow_owner o;
	uint8_t proto;
	char *buf;

	if (size < 1 || size > 1 << 20)
		return 0;
	if (!ready) {
		char dir[] = "/tmp/fuzz_sock_diag.XXXXXX";

		/* An empty process tree: only the kernel's answers are
		 * fuzzed. */
		if (!mkdtemp(dir) || proc_lookup_init(dir) ||
		    proc_lookup_test_mode())
			abort();
		rmdir(dir);
		ready = 1;
	}
	proto = protos[data[0] % sizeof(protos)];
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	(void)proc_lookup_feed(proto, buf, size - 1);
	free(buf);
	(void)proc_lookup_refresh();
	/* Look up what the tail of the input names, then a loopback flow
	 * the recorded seeds hold. */
	memset(&key, 0, sizeof(key));
	if (size > 1 + 36) {
		const uint8_t *t = data + size - 36;

		key.family = t[0] & 1 ? AF_INET6 : AF_INET;
		key.l4proto = protos[1 + t[1] % 3];
		memcpy(&key.laddr, t + 2, 16);
		memcpy(&key.raddr, t + 18, 16);
		key.lport = (uint16_t)(t[34] << 8 | t[35]);
		key.rport = key.lport;
		(void)proc_lookup_find(&key, &o);
	}
	key.family = AF_INET;
	key.l4proto = IPPROTO_TCP;
	memset(&key.laddr, 0, sizeof(key.laddr));
	memset(&key.raddr, 0, sizeof(key.raddr));
	key.laddr.w[0] = htonl(0x7f000001);
	key.raddr.w[0] = htonl(0x7f000001);
	key.lport = 40001;
	key.rport = 5001;
	(void)proc_lookup_find(&key, &o);
	(void)proc_lookup_is_local(AF_INET, &key.laddr);
	proc_lookup_test_clear();
	return 0;
}
