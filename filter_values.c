/* filter_values: the values of terms: numbers (decimal or hex), amounts
 * with SI/IEC suffixes, addresses, CIDR networks and IPv4 star patterns. */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "filter_impl.h"
#include "flow_types.h"

/* ---------------------------------------------------------------------- */
/* Values. */

/* Unsigned decimal or 0x hex, the whole string, at most max. */
bool filter_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* "1.5M", "10KiB", "300": a number with an optional SI or IEC suffix. */
bool filter_parse_amount(const char *s, double *out)
{
	static const char suffixes[] = "kmgt";
	const char *q = s, *suf;
	char num[64];
	double v, mult = 1;
	size_t len;
	bool dot = false;

	while ((*q >= '0' && *q <= '9') || (*q == '.' && !dot)) {
		dot |= *q == '.';
		q++;
	}
	len = (size_t)(q - s);
	if (!len || len >= sizeof(num) || (len == 1 && dot))
		return false;
	memcpy(num, s, len);
	num[len] = '\0';
	v = strtod(num, NULL);
	if (*q && (suf = strchr(suffixes, filter_lower((unsigned char)*q)))) {
		bool iec = q[1] == 'i' || q[1] == 'I';
		int e = (int)(suf - suffixes) + 1;

		while (e--)
			mult *= iec ? 1024.0 : 1000.0;
		q += iec ? 2 : 1;
	}
	if (*q == 'B')
		q++;
	if (*q)
		return false;
	v *= mult;
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

void filter_mask(union flow_addr *mask, unsigned plen)
{
	unsigned i;

	memset(mask, 0, sizeof(*mask));
	for (i = 0; i < plen / 8; i++)
		mask->b[i] = 0xff;
	if (plen % 8)
		mask->b[i] = (uint8_t)(0xff00u >> (plen % 8));
}

/* "192.0.2.*", "10.*": leading octets, then only stars.  Returns the
 * prefix length or -1. */
static int filter_parse_v4_wild(const char *s, union flow_addr *a)
{
	unsigned octets = 0, stars = 0;
	uint64_t v;
	char part[8];
	const char *dot;
	size_t len;

	memset(a, 0, sizeof(*a));
	for (;;) {
		dot = strchr(s, '.');
		len = dot ? (size_t)(dot - s) : strlen(s);
		if (!len || len >= sizeof(part) || octets + stars >= 4)
			return -1;
		memcpy(part, s, len);
		part[len] = '\0';
		if (!strcmp(part, "*")) {
			stars++;
		} else if (!stars && (part[0] != '0' || !part[1]) &&
			   filter_parse_uint(part, 255, &v)) {
			a->b[octets++] = (uint8_t)v;
		} else {
			return -1;
		}
		if (!dot)
			break;
		s = dot + 1;
	}
	/* All four octets is an address, not a pattern; "*" alone a name. */
	if (!stars || !octets)
		return -1;
	return (int)octets * 8;
}

/* Classifies s as address, network, or name. */
enum addr_kind filter_parse_addr(const char *s, uint8_t *family,
				 union flow_addr *net,
				 union flow_addr *mask)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t plen = 0;
	unsigned max, i;
	int wild;
	bool v4, v6;

	memset(net, 0, sizeof(*net));
	v4 = len && strspn(s, "0123456789.*") == len &&
	     strpbrk(s, "0123456789");
	/* A name never has a colon: anything with one is meant as IPv6. */
	v6 = strchr(s, ':') != NULL;
	if (slash || v4 || v6) {
		if (len >= sizeof(buf))
			return slash ? ADDR_BAD_NET : ADDR_BAD_ADDR;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, net->b) == 1) {
			*family = AF_INET;
		} else if (inet_pton(AF_INET6, buf, net->b) == 1) {
			*family = AF_INET6;
		} else if (!slash &&
			   (wild = filter_parse_v4_wild(buf, net)) >= 0) {
			*family = AF_INET;
			filter_mask(mask, (unsigned)wild);
			return ADDR_OK;
		} else {
			return slash ? ADDR_BAD_NET : ADDR_BAD_ADDR;
		}
		max = *family == AF_INET ? 32 : 128;
		plen = max;
		if (slash && (slash[1] < '0' || slash[1] > '9' ||
			      !filter_parse_uint(slash + 1, max, &plen)))
			return ADDR_BAD_NET;
		filter_mask(mask, (unsigned)plen);
		for (i = 0; i < 16; i++)
			net->b[i] &= mask->b[i];
		return ADDR_OK;
	}
	return ADDR_NAME;
}
