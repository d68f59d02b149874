/* fuzz_services: tcp.conf, udp.conf and services(5) parsing.  The first
 * byte picks the file the rest goes to; then names and ports are looked
 * up in what was loaded. */
#include <netinet/in.h>
#include <string.h>

#include "fuzz_file.h"
#include "services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"tcp.conf", "udp.conf", "services",
	};
	static const uint8_t protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP,
		IPPROTO_DCCP,
	};
	char etc[160], none[160];
	const char *name;
	unsigned i, p;

	if (size < 1)
		return 0;
	name = names[data[0] % 3];
	fuzz_file(name, data + 1, size - 1);
	snprintf(etc, sizeof(etc), "%s/services", fuzz_dir);
	snprintf(none, sizeof(none), "%s/none", fuzz_dir);
	services_load(fuzz_dir, NULL, data[0] % 3 == 2 ? etc : none, NULL);
	for (p = 0; p < sizeof(protos); p++) {
		for (i = 0; i < 8; i++)
			(void)services_name(protos[p], (uint16_t)(i * 997));
		(void)services_port(protos[p], "http");
		(void)services_port(protos[p], "");
	}
	services_free();
	/* The next input starts from no files. */
	fuzz_file(name, NULL, 0);
	return 0;
}
