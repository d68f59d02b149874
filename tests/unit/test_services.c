/* Unit tests for services.c, fed from tests/data/services/. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "services.h"

#define DATA "tests/data/services"

/* Warnings go to a memory stream so the test can read them back. */
struct warnbuf {
	char *text;
	size_t len;
	FILE *f;
};

static void warn_open(struct warnbuf *w)
{
	w->text = NULL;
	w->len = 0;
	w->f = open_memstream(&w->text, &w->len);
	if (!w->f) {
		perror("open_memstream");
		exit(1);
	}
}

static void warn_close(struct warnbuf *w)
{
	fclose(w->f);
	w->f = NULL;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* The warning lines, in order, must start with these "file:line:". */
static void check_warn_prefixes(const char *text, const char *const *want,
				int nwant)
{
	const char *line = text;
	int i;

	CHECK(count_lines(text) == nwant);
	for (i = 0; i < nwant && line && *line; i++) {
		if (strncmp(line, want[i], strlen(want[i]))) {
			fprintf(stderr, "warning %d: want \"%s...\", "
				"got: %.*s\n", i, want[i],
				(int)strcspn(line, "\n"), line);
			check_failed++;
		} else {
			check_passed++;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
}

static void test_data_files(void)
{
	static const char *const want[] = {
		DATA "/conf/tcp.conf:6: invalid port: http",
		DATA "/conf/tcp.conf:7: invalid port: 8o0",
		DATA "/conf/tcp.conf:8: port out of range: 70000",
		DATA "/conf/tcp.conf:9: port out of range: 65536",
		DATA "/conf/tcp.conf:11: invalid port: -1",
		DATA "/conf/tcp.conf:12: missing service name",
		DATA "/conf/tcp.conf:14: service name longer than 31",
		DATA "/conf/tcp.conf:15: unexpected text",
		DATA "/conf/tcp.conf:16: port 22 already named ssh",
		DATA "/conf/tcp.conf:17: service name is a number",
		DATA "/conf/tcp.conf:21: port out of range",
		DATA "/conf/udp.conf:7: unexpected text",
		DATA "/etc-services:14: missing port/protocol",
		DATA "/etc-services:15: invalid port: 12x",
		DATA "/etc-services:16: port out of range: 70000",
		DATA "/etc-services:17: expected port/protocol",
		DATA "/etc-services:18: alias skipped",
	};
	struct warnbuf w;

	warn_open(&w);
	CHECK(services_load(DATA "/conf", NULL, DATA "/etc-services",
			    w.f) == 0);
	warn_close(&w);
	check_warn_prefixes(w.text, want, sizeof(want) / sizeof(want[0]));
	free(w.text);

	/* Good conf lines, with blanks, tabs and trailing comments. */
	CHECK_STR(services_name(IPPROTO_TCP, 22), "ssh");
	CHECK_STR(services_name(IPPROTO_TCP, 80), "http");
	CHECK_STR(services_name(IPPROTO_TCP, 0), "port-zero");
	CHECK_STR(services_name(IPPROTO_TCP, 65535), "max-port");
	CHECK_STR(services_name(IPPROTO_TCP, 4000),
		  "abcdefghijklmnopqrstuvwxyz01234");
	CHECK_STR(services_name(IPPROTO_UDP, 443), "quic");
	CHECK_STR(services_name(IPPROTO_UDP, 1900), "ssdp");

	/* Malformed lines left nothing behind. */
	CHECK(services_name(IPPROTO_TCP, 4001) == NULL);
	CHECK(services_name(IPPROTO_TCP, 4002) == NULL);
	CHECK(services_name(IPPROTO_TCP, 4003) == NULL);
	CHECK(services_name(IPPROTO_TCP, 1234) == NULL);
	CHECK(services_name(IPPROTO_TCP, 800) == NULL);
	CHECK(services_port(IPPROTO_TCP, "bad-port") == -1);
	CHECK(services_port(IPPROTO_TCP, "too-big") == -1);
	CHECK(services_port(IPPROTO_TCP, "just-too-big") == -1);
	CHECK(services_port(IPPROTO_TCP, "negative") == -1);
	CHECK(services_port(IPPROTO_TCP, "two") == -1);
	CHECK(services_port(IPPROTO_TCP, "ssh-again") == -1);
	CHECK(services_port(IPPROTO_TCP, "overflow") == -1);
	CHECK(services_port(IPPROTO_UDP, "ntp") == 123);   /* etc line */
	CHECK_STR(services_name(IPPROTO_UDP, 123), "ntp");
	CHECK(services_port(IPPROTO_UDP, "extra") == -1);
	CHECK(services_name(IPPROTO_UDP, 16) == NULL);

	/* The conf files win over /etc/services... */
	CHECK_STR(services_name(IPPROTO_TCP, 53), "dns");
	CHECK_STR(services_name(IPPROTO_UDP, 53), "dns");
	CHECK_STR(services_name(IPPROTO_UDP, 51820), "wireguard");
	CHECK_STR(services_name(IPPROTO_TCP, 22), "ssh");
	/* ...which fills the gaps, and whose names still resolve. */
	CHECK_STR(services_name(IPPROTO_TCP, 9999), "etc-only");
	CHECK_STR(services_name(IPPROTO_TCP, 1), "tcpmux");
	CHECK_STR(services_name(IPPROTO_UDP, 22), "ssh");
	CHECK_STR(services_name(IPPROTO_TCP, 7000), "ctrl-alias");
	CHECK(services_port(IPPROTO_TCP, "domain") == 53);
	CHECK(services_port(IPPROTO_UDP, "domain") == 53);
	CHECK(services_port(IPPROTO_TCP, "secure-shell") == 22);
	CHECK(services_port(IPPROTO_UDP, "wireguard-etc") == 51820);
	CHECK(services_port(IPPROTO_TCP, "www") == 80);
	CHECK(services_port(IPPROTO_TCP, "etc-alias") == 9999);
	CHECK(services_port(IPPROTO_TCP, "good-alias") == 7000);
	CHECK(services_port(IPPROTO_TCP,
			    "abcdefghijklmnopqrstuvwxyz0123456789") == -1);
	/* Bad lines of /etc/services are skipped too; ddp is ignored. */
	CHECK(services_name(IPPROTO_TCP, 4) == NULL);
	CHECK(services_port(IPPROTO_TCP, "atalk-thing") == -1);
	CHECK(services_port(IPPROTO_TCP, "bad-port") == -1);
	CHECK(services_port(IPPROTO_UDP, "big-port") == -1);
	CHECK(services_port(IPPROTO_TCP, "noslash") == -1);
	CHECK(services_port(IPPROTO_TCP, "broken-line") == -1);

	/* SCTP and DCCP: own entries of /etc/services, else TCP's. */
	CHECK_STR(services_name(IPPROTO_SCTP, 9899), "sctp-only");
	CHECK(services_name(IPPROTO_TCP, 9899) == NULL);
	CHECK_STR(services_name(IPPROTO_SCTP, 5672), "amqp");
	CHECK_STR(services_name(IPPROTO_SCTP, 22), "ssh");
	CHECK_STR(services_name(IPPROTO_SCTP, 3868), "diameter");
	CHECK(services_name(IPPROTO_SCTP, 5353) == NULL);
	CHECK_STR(services_name(IPPROTO_DCCP, 5004), "dccp-only");
	CHECK_STR(services_name(IPPROTO_DCCP, 80), "http");
	CHECK(services_name(IPPROTO_UDP, 5004) == NULL);
	CHECK(services_name(IPPROTO_TCP, 5004) == NULL);
	/* UDP-lite: own entries, else UDP's. */
	CHECK_STR(services_name(IPPROTO_UDPLITE, 5000), "lite-only");
	CHECK_STR(services_name(IPPROTO_UDPLITE, 53), "dns");
	CHECK_STR(services_name(IPPROTO_UDPLITE, 5353), "mdns");
	CHECK(services_name(IPPROTO_UDP, 5000) == NULL);
	CHECK(services_name(IPPROTO_UDPLITE, 80) == NULL);
	/* Protocols without ports. */
	CHECK(services_name(IPPROTO_ICMP, 22) == NULL);
	CHECK(services_name(IPPROTO_ICMPV6, 53) == NULL);

	/* services_port: per protocol, case-insensitive, with fallbacks. */
	CHECK(services_port(IPPROTO_TCP, "ssh") == 22);
	CHECK(services_port(IPPROTO_TCP, "SSH") == 22);
	CHECK(services_port(IPPROTO_TCP, "Http") == 80);
	CHECK(services_port(IPPROTO_TCP, "max-port") == 65535);
	CHECK(services_port(IPPROTO_TCP, "port-zero") == 0);
	CHECK(services_port(IPPROTO_UDP, "quic") == 443);
	CHECK(services_port(IPPROTO_TCP, "quic") == -1);
	CHECK(services_port(IPPROTO_UDPLITE, "quic") == 443);
	CHECK(services_port(IPPROTO_UDPLITE, "lite-only") == 5000);
	CHECK(services_port(IPPROTO_UDP, "lite-only") == -1);
	CHECK(services_port(IPPROTO_SCTP, "sctp-only") == 9899);
	CHECK(services_port(IPPROTO_SCTP, "ssh") == 22);
	CHECK(services_port(IPPROTO_TCP, "sctp-only") == -1);
	CHECK(services_port(IPPROTO_DCCP, "dccp-only") == 5004);
	CHECK(services_port(IPPROTO_DCCP, "https") == -1);
	CHECK(services_port(IPPROTO_TCP, "nonexistent") == -1);
	CHECK(services_port(IPPROTO_TCP, "") == -1);
	CHECK(services_port(IPPROTO_TCP, NULL) == -1);
	CHECK(services_port(IPPROTO_ICMP, "ssh") == -1);

	services_free();
	CHECK(services_name(IPPROTO_TCP, 22) == NULL);
	CHECK(services_port(IPPROTO_TCP, "ssh") == -1);
	services_free();

	/* Without the conf files /etc/services names port 53. */
	CHECK(services_load(NULL, NULL, DATA "/etc-services", NULL) == 0);
	CHECK_STR(services_name(IPPROTO_TCP, 53), "domain");
	CHECK_STR(services_name(IPPROTO_UDP, 51820), "wireguard-etc");
	/* A second load replaces the first. */
	CHECK(services_load(DATA "/conf", NULL, "", NULL) == 0);
	CHECK_STR(services_name(IPPROTO_TCP, 53), "dns");
	CHECK(services_name(IPPROTO_TCP, 9999) == NULL);
	services_free();
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Hostile bytes in a conf file: skipped, and the warning stays inert. */
static void test_hostile_conf(void)
{
	static const char lines[] =
		"80 ht\x1b[2Jtp\n"		/* 1: ESC */
		"81 a\x7f\n"			/* 2: DEL */
		"82 ok\0bad\n"			/* 3: NUL */
		"83 crlf\r\n"			/* 4: fine */
		"84 z\xc3\xbcrich\n"		/* 5: non-ASCII */
		"85 ";				/* 6: long name follows */
	char dir[] = "/tmp/test_services.XXXXXX";
	char path[256], *data, *s;
	size_t len = sizeof(lines) - 1, big = 5000;
	struct warnbuf w;
	bool inert = true;
	int maxlen = 0, cur = 0;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	data = malloc(len + big + 64);
	if (!data)
		exit(1);
	memcpy(data, lines, len);
	memset(data + len, 'a', big);
	len += big;
	memcpy(data + len, "\n86 no-newline", 14);	/* 7: fine, no LF */
	len += 14;
	snprintf(path, sizeof(path), "%s/tcp.conf", dir);
	write_file(path, data, len);
	free(data);

	warn_open(&w);
	/* The directory itself as /etc/services: not a file, reported. */
	CHECK(services_load(dir, NULL, dir, w.f) == -EINVAL);
	warn_close(&w);

	CHECK_STR(services_name(IPPROTO_TCP, 83), "crlf");
	CHECK_STR(services_name(IPPROTO_TCP, 86), "no-newline");
	CHECK(services_name(IPPROTO_TCP, 80) == NULL);
	CHECK(services_name(IPPROTO_TCP, 81) == NULL);
	CHECK(services_name(IPPROTO_TCP, 82) == NULL);
	CHECK(services_name(IPPROTO_TCP, 84) == NULL);
	CHECK(services_name(IPPROTO_TCP, 85) == NULL);
	CHECK(services_port(IPPROTO_TCP, "ok") == -1);

	/* 5 bad lines plus the directory error. */
	CHECK(count_lines(w.text) == 6);
	CHECK(strstr(w.text, ":1: control character") != NULL);
	CHECK(strstr(w.text, ":2: control character") != NULL);
	CHECK(strstr(w.text, ":3: NUL byte") != NULL);
	CHECK(strstr(w.text, ":5: non-ASCII") != NULL);
	CHECK(strstr(w.text, ":6: service name longer") != NULL);
	CHECK(strstr(w.text, "not a regular file") != NULL);
	for (s = w.text; s && *s; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\n')
			inert = false;
		cur = *s == '\n' ? 0 : cur + 1;
		if (cur > maxlen)
			maxlen = cur;
	}
	CHECK(inert);
	CHECK(maxlen < 200);	/* the 5000-byte name is not echoed whole */
	free(w.text);
	services_free();

	unlink(path);
	rmdir(dir);
}

static void test_missing_files(void)
{
	struct warnbuf w;

	warn_open(&w);
	CHECK(services_load(DATA "/no-such-dir", NULL, DATA "/no-such-file",
			    w.f) == 0);
	warn_close(&w);
	CHECK(w.len == 0);
	CHECK(services_name(IPPROTO_TCP, 22) == NULL);
	CHECK(services_port(IPPROTO_TCP, "ssh") == -1);
	free(w.text);
	services_free();
}

/* The shipped etc/tcp.conf and etc/udp.conf load without a warning. */
static void test_shipped_conf(void)
{
	struct warnbuf w;

	warn_open(&w);
	CHECK(services_load("etc", NULL, "", w.f) == 0);
	warn_close(&w);
	CHECK(w.len == 0);
	if (w.len)
		fprintf(stderr, "etc/ warnings:\n%s", w.text);
	free(w.text);

	CHECK_STR(services_name(IPPROTO_TCP, 22), "ssh");
	CHECK_STR(services_name(IPPROTO_TCP, 25), "smtp");
	CHECK_STR(services_name(IPPROTO_TCP, 53), "dns");
	CHECK_STR(services_name(IPPROTO_TCP, 80), "http");
	CHECK_STR(services_name(IPPROTO_TCP, 443), "https");
	CHECK_STR(services_name(IPPROTO_TCP, 993), "imaps");
	CHECK_STR(services_name(IPPROTO_TCP, 1883), "mqtt");
	CHECK_STR(services_name(IPPROTO_TCP, 3306), "mysql");
	CHECK_STR(services_name(IPPROTO_TCP, 3389), "rdp");
	CHECK_STR(services_name(IPPROTO_TCP, 5432), "postgresql");
	CHECK_STR(services_name(IPPROTO_TCP, 5900), "vnc");
	CHECK_STR(services_name(IPPROTO_UDP, 53), "dns");
	CHECK_STR(services_name(IPPROTO_UDP, 123), "ntp");
	CHECK_STR(services_name(IPPROTO_UDP, 443), "quic");
	CHECK_STR(services_name(IPPROTO_UDP, 1900), "ssdp");
	CHECK_STR(services_name(IPPROTO_UDP, 5353), "mdns");
	CHECK_STR(services_name(IPPROTO_UDP, 51820), "wireguard");
	CHECK(services_port(IPPROTO_TCP, "ssh") == 22);
	CHECK(services_port(IPPROTO_UDP, "wireguard") == 51820);
	services_free();
}

/* The real /etc/services, where the system has one. */
static void test_system_services(void)
{
	if (access("/etc/services", R_OK)) {
		fprintf(stderr, "no /etc/services, system test skipped\n");
		return;
	}
	CHECK(services_load(NULL, NULL, NULL, NULL) == 0);
	CHECK(services_port(IPPROTO_TCP, "ssh") == 22);
	CHECK_STR(services_name(IPPROTO_TCP, 22), "ssh");
	services_free();
}

static void *reader(void *arg)
{
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < 200000; i++) {
		const char *n = services_name(IPPROTO_TCP, (uint16_t)i);

		if ((uint16_t)i == 22 && (!n || strcmp(n, "ssh")))
			bad++;
		if ((uint16_t)i == 4001 && n)
			bad++;
		if (services_port(IPPROTO_UDP, "quic") != 443)
			bad++;
	}
	return (void *)bad;
}

/* Lookups from several threads after load see the same answers. */
static void test_threads(void)
{
	pthread_t t[4];
	void *bad;
	long total = 0;
	int i, started = 0;

	CHECK(services_load(DATA "/conf", NULL, "", NULL) == 0);
	for (i = 0; i < 4; i++)
		started += pthread_create(&t[i], NULL, reader, NULL) == 0;
	CHECK(started == 4);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], &bad);
		total += (long)bad;
	}
	CHECK(total == 0);
	services_free();
}

/* netsniff-ng's own files, as Debian ships them ("7, echo"), read as they
 * are: no warning (they name some ports twice: the first name stays). */
static void test_original_conf(void)
{
	static const char forms[] = "7,echo\n9, discard\n13 ,daytime\n"
				    "19 , chargen\n20,\n21, ftp extra\n";
	char dir[] = "/tmp/test_services.XXXXXX", path[256];
	struct warnbuf w;

	warn_open(&w);
	CHECK(services_load(DATA "/netsniff-ng", NULL, "", w.f) == 0);
	warn_close(&w);
	CHECK(w.len == 0);
	if (w.len)
		fprintf(stderr, "netsniff-ng warnings:\n%.400s", w.text);
	free(w.text);
	CHECK_STR(services_name(IPPROTO_TCP, 1), "tcpmux");
	CHECK_STR(services_name(IPPROTO_TCP, 53), "domain");
	CHECK_STR(services_name(IPPROTO_TCP, 6001), "X11:1");
	CHECK_STR(services_name(IPPROTO_TCP, 1993), "snmp-tcp-port");
	CHECK_STR(services_name(IPPROTO_UDP, 475), "tcpnethaspsrv");
	CHECK(services_port(IPPROTO_UDP, "domain") == 53);

	/* After flowtop's own files: ours win, theirs fill in, quietly;
	 * /etc/services comes last. */
	warn_open(&w);
	CHECK(services_load("etc", DATA "/netsniff-ng", DATA "/etc-services",
			    w.f) == 0);
	warn_close(&w);
	CHECK(strstr(w.text, "netsniff-ng") == NULL);
	free(w.text);
	CHECK_STR(services_name(IPPROTO_TCP, 53), "dns");
	CHECK_STR(services_name(IPPROTO_TCP, 2), "compressnet");
	CHECK_STR(services_name(IPPROTO_UDP, 475), "tcpnethaspsrv");
	CHECK_STR(services_name(IPPROTO_TCP, 9999), "abyss");
	CHECK_STR(services_name(IPPROTO_DCCP, 5004), "dccp-only");

	/* The comma with or without blanks; a comma form is checked like
	 * the other. */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/tcp.conf", dir);
	write_file(path, forms, sizeof(forms) - 1);
	warn_open(&w);
	CHECK(services_load(dir, NULL, "", w.f) == 0);
	warn_close(&w);
	CHECK_STR(services_name(IPPROTO_TCP, 7), "echo");
	CHECK_STR(services_name(IPPROTO_TCP, 9), "discard");
	CHECK_STR(services_name(IPPROTO_TCP, 13), "daytime");
	CHECK_STR(services_name(IPPROTO_TCP, 19), "chargen");
	CHECK(services_name(IPPROTO_TCP, 20) == NULL);
	CHECK(services_name(IPPROTO_TCP, 21) == NULL);
	CHECK(count_lines(w.text) == 2 &&
	      strstr(w.text, "tcp.conf:5: missing service name") &&
	      strstr(w.text, "tcp.conf:6: unexpected text"));
	free(w.text);
	unlink(path);
	rmdir(dir);
	services_free();
}

/* A FIFO (open() used to wait for a writer), /dev/zero (memory grew until
 * the kernel killed us), a huge file and a flood of bad lines. */
static void test_not_files(void)
{
	char dir[] = "/tmp/test_svc_nf.XXXXXX", tcp[128], udp[128];
	struct warnbuf w;
	FILE *f;
	int i;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	alarm(20);
	snprintf(tcp, sizeof(tcp), "%s/tcp.conf", dir);
	snprintf(udp, sizeof(udp), "%s/udp.conf", dir);
	CHECK(mkfifo(tcp, 0600) == 0);
	CHECK(symlink("/dev/zero", udp) == 0);
	warn_open(&w);
	CHECK(services_load(dir, NULL, DATA "/no-such-file", w.f) == -EINVAL);
	warn_close(&w);
	CHECK(count_lines(w.text) == 2);
	CHECK(strstr(w.text, "tcp.conf: not a regular file, not read\n"));
	CHECK(strstr(w.text, "udp.conf: not a regular file, not read\n"));
	free(w.text);
	unlink(tcp);
	unlink(udp);

	/* Over the limit: one line naming the file and the limit. */
	f = fopen(udp, "w");
	for (i = 0; f && i < (9 << 20) / 16; i++)
		fputs("53 domain-dup-x\n", f);
	if (f)
		fclose(f);
	warn_open(&w);
	CHECK(services_load(dir, NULL, DATA "/no-such-file", w.f) == -EFBIG);
	warn_close(&w);
	CHECK(count_lines(w.text) == 1);
	CHECK(strstr(w.text, "udp.conf: larger than 8.0 MiB, not read\n"));
	free(w.text);

	/* Under it but all bad: 20 warnings and one line for the rest. */
	f = fopen(udp, "w");
	fputs("53 dns\n", f);
	for (i = 0; f && i < 10000; i++)
		fputs("53 dns\n", f);
	if (f)
		fclose(f);
	warn_open(&w);
	CHECK(services_load(dir, NULL, DATA "/no-such-file", w.f) == 0);
	warn_close(&w);
	CHECK(count_lines(w.text) == 21);
	CHECK(strstr(w.text, "udp.conf:21: port 53 already named dns\n"));
	CHECK(!strstr(w.text, "udp.conf:22:"));
	CHECK(strstr(w.text, "udp.conf: 9980 more warnings not shown\n"));
	CHECK_STR(services_name(IPPROTO_UDP, 53), "dns");
	free(w.text);
	services_free();
	unlink(udp);
	alarm(0);
	rmdir(dir);
}

int main(void)
{
	test_data_files();
	test_not_files();
	test_hostile_conf();
	test_missing_files();
	test_shipped_conf();
	test_original_conf();
	test_system_services();
	test_threads();
	return check_summary("test_services");
}
