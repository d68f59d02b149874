/*
 * pace: a steady UDP flow for the rate tests.  The sender keeps an
 * absolute schedule (clock_nanosleep TIMER_ABSTIME), so a late wake-up is
 * made good at once and every window of a second or more carries the rate
 * asked for; the echo side answers each datagram, so the reply direction
 * has a steady rate too.
 *
 *   pace send ADDR PORT RATE SECS [SIZE]
 *       send datagrams of SIZE bytes (default 1000) to ADDR:PORT, RATE
 *       bytes of payload a second, for SECS seconds; prints the number
 *       sent.  Each datagram is conntrack's SIZE + 28 bytes (IPv4; + 48
 *       for IPv6).
 *   pace echo ADDR PORT SECS [SIZE]
 *       bind ADDR:PORT and answer each datagram with SIZE bytes (default
 *       100), until SECS seconds pass with nothing received.
 *
 * Exit: 0 ok, 1 socket error (on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PACE_MAX 65000

static char pace_buf[PACE_MAX];

static int pace_addr(const char *a, const char *p, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int port = atoi(p);

	memset(ss, 0, sizeof(*ss));
	if (port <= 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static size_t pace_size(int argc, char **argv, int i, size_t dflt)
{
	long v = argc > i ? atol(argv[i]) : (long)dflt;

	return v > 0 && v <= PACE_MAX ? (size_t)v : 0;
}

static int pace_send(int fd, double rate, double secs, size_t size)
{
	double gap = size / rate;
	struct timespec t0, next;
	unsigned long n = 0, total = (unsigned long)(secs / gap);
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0; n < total; n++) {
		/* datagram n leaves at t0 + n * gap, however late we are */
		ns = (long long)(n * gap * 1e9);
		next.tv_sec = t0.tv_sec + (time_t)(ns / 1000000000);
		next.tv_nsec = t0.tv_nsec + (long)(ns % 1000000000);
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		if (send(fd, pace_buf, size, 0) < 0 && errno != ECONNREFUSED) {
			perror("pace: send");
			return 1;
		}
	}
	printf("%lu\n", n);
	return 0;
}

static int pace_echo(int fd, double secs, size_t size)
{
	struct sockaddr_storage from;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t len;
	ssize_t n;

	while (poll(&p, 1, (int)(secs * 1000)) > 0) {
		len = sizeof(from);
		n = recvfrom(fd, pace_buf, sizeof(pace_buf), 0,
			     (struct sockaddr *)&from, &len);
		if (n < 0)
			continue;
		sendto(fd, pace_buf, size, 0, (struct sockaddr *)&from, len);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool send_mode;
	size_t size;
	int fd;

	if (argc < 5 || (strcmp(argv[1], "send") && strcmp(argv[1], "echo")) ||
	    pace_addr(argv[2], argv[3], &ss, &len)) {
		fprintf(stderr, "usage: pace send ADDR PORT RATE SECS [SIZE]\n"
			"       pace echo ADDR PORT SECS [SIZE]\n");
		return 2;
	}
	send_mode = !strcmp(argv[1], "send");
	size = pace_size(argc, argv, send_mode ? 6 : 5, send_mode ? 1000 : 100);
	if (!size || (send_mode && (argc < 6 || atof(argv[4]) <= 0 ||
				    atof(argv[5]) <= 0))) {
		fprintf(stderr, "pace: bad rate, time or size\n");
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("pace: socket");
		return 1;
	}
	if (send_mode ? connect(fd, (struct sockaddr *)&ss, len) :
			bind(fd, (struct sockaddr *)&ss, len)) {
		perror(send_mode ? "pace: connect" : "pace: bind");
		return 1;
	}
	memset(pace_buf, 'p', sizeof(pace_buf));
	if (send_mode)
		return pace_send(fd, atof(argv[4]), atof(argv[5]), size);
	return pace_echo(fd, atof(argv[4]), size);
}
