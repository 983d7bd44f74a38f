/*
 * The benchmark's backend: a minimal HTTP/1.1 origin on loopback that costs the proxies under test as little CPU as
 * possible. Epoll, one listening socket per thread (SO_REUSEPORT), keep-alive, pipelining; every request body
 * (Content-Length or chunked) is read in full and discarded before the answer, as an upload endpoint would.
 *
 *   backend PORT [THREADS]
 *
 * GET/POST /4k        -> 200, 4096 bytes
 * anything else       -> 200, 100 bytes
 * "Connection: close" (or HTTP/1.0 without keep-alive) is honoured after the answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 16384
#define MAX_EVENTS 256

enum body_state { B_NONE, B_LENGTH, B_CHUNK_SIZE, B_CHUNK_EXT, B_CHUNK_DATA, B_CHUNK_CR, B_CHUNK_LF, B_TRAILER };

struct conn {
    int fd;
    size_t len;               /* bytes in buf */
    int in_body;              /* headers of the current request parsed, body (if any) being skipped */
    enum body_state body;
    unsigned long long remaining; /* B_LENGTH / B_CHUNK_DATA: bytes left */
    unsigned long long chunk;     /* B_CHUNK_SIZE: size being parsed */
    int trailer_line_len;
    int big;                  /* answer with the 4 KiB body */
    int close_after;
    const char *out;          /* unsent part of an answer (EAGAIN) */
    size_t out_len;
    char buf[IN_CAP];
};

static char small_resp[512], small_resp_close[512], big_resp[8192], big_resp_close[8192];
static size_t small_len, small_close_len, big_len, big_close_len;
static int port;

static void build_responses(void) {
    char small_body[101], big_body[4097];
    memset(small_body, 's', 100);
    memcpy(small_body, "palisade-bench-backend-small-body-", 34);
    small_body[99] = '\n';
    small_body[100] = 0;
    memset(big_body, 'k', 4096);
    big_body[4095] = '\n';
    big_body[4096] = 0;
    const char *fmt = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s";
    small_len = (size_t)snprintf(small_resp, sizeof small_resp, fmt, 100, "", small_body);
    small_close_len = (size_t)snprintf(small_resp_close, sizeof small_resp_close, fmt, 100, "Connection: close\r\n", small_body);
    big_len = (size_t)snprintf(big_resp, sizeof big_resp, fmt, 4096, "", big_body);
    big_close_len = (size_t)snprintf(big_resp_close, sizeof big_resp_close, fmt, 4096, "Connection: close\r\n", big_body);
}

static void conn_close(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* Case-insensitive: does the header line [p, end) have this name? Returns the value start or NULL. */
static const char *header_value(const char *p, const char *end, const char *name) {
    size_t n = strlen(name);
    if ((size_t)(end - p) <= n || strncasecmp(p, name, n) != 0 || p[n] != ':') return NULL;
    p += n + 1;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

static int contains_token(const char *p, const char *end, const char *token) {
    size_t n = strlen(token);
    for (; p + n <= end; p++) {
        if (strncasecmp(p, token, n) == 0) return 1;
    }
    return 0;
}

/* Parses the header block buf[0, hdr_end). Returns 0, or -1 for a request this server refuses. */
static int parse_head(struct conn *c, size_t hdr_end) {
    const char *p = c->buf, *end = c->buf + hdr_end;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) return -1;
    /* Request line: METHOD SP TARGET SP VERSION */
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1) return -1;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(eol - target));
    if (!sp2) return -1;
    size_t tlen = (size_t)(sp2 - target);
    c->big = (tlen == 3 && memcmp(target, "/4k", 3) == 0) || (tlen > 3 && memcmp(target, "/4k?", 4) == 0);
    int http10 = (eol - sp2 >= 9) && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0;
    c->close_after = http10;
    c->body = B_NONE;
    c->remaining = 0;
    for (p = eol + 1; p < end; p = eol + 1) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        const char *lend = eol;
        if (lend > p && lend[-1] == '\r') lend--;
        const char *v;
        if ((v = header_value(p, lend, "content-length"))) {
            char *stop;
            unsigned long long n = strtoull(v, &stop, 10);
            if (stop == v) return -1;
            if (c->body == B_NONE) { c->body = n ? B_LENGTH : B_NONE; c->remaining = n; }
        } else if ((v = header_value(p, lend, "transfer-encoding"))) {
            if (contains_token(v, lend, "chunked")) { c->body = B_CHUNK_SIZE; c->chunk = 0; c->remaining = 0; }
        } else if ((v = header_value(p, lend, "connection"))) {
            if (contains_token(v, lend, "close")) c->close_after = 1;
            else if (contains_token(v, lend, "keep-alive")) c->close_after = 0;
        }
    }
    return 0;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Skips body bytes from buf[*pos, len). Returns 1 when the body is complete, 0 when more is needed, -1 on error. */
static int skip_body(struct conn *c, size_t *pos) {
    size_t i = *pos;
    while (c->body != B_NONE) {
        if (c->body == B_LENGTH || c->body == B_CHUNK_DATA) {
            size_t avail = c->len - i;
            size_t take = avail < c->remaining ? avail : (size_t)c->remaining;
            i += take;
            c->remaining -= take;
            if (c->remaining > 0) { *pos = i; return 0; }
            c->body = c->body == B_LENGTH ? B_NONE : B_CHUNK_CR;
            continue;
        }
        if (i >= c->len) { *pos = i; return 0; }
        char ch = c->buf[i++];
        switch (c->body) {
        case B_CHUNK_SIZE: {
            int h = hexval(ch);
            if (h >= 0) { c->chunk = c->chunk * 16 + (unsigned)h; if (c->chunk > (1ULL << 40)) return -1; }
            else if (ch == ';' || ch == ' ' || ch == '\t') c->body = B_CHUNK_EXT;
            else if (ch == '\r') c->body = B_CHUNK_EXT;
            else if (ch == '\n') goto size_done;
            else return -1;
            break;
        }
        case B_CHUNK_EXT:
            if (ch == '\n') goto size_done;
            break;
        case B_CHUNK_CR:
            if (ch == '\r') c->body = B_CHUNK_LF;
            else if (ch == '\n') { c->body = B_CHUNK_SIZE; c->chunk = 0; }
            else return -1;
            break;
        case B_CHUNK_LF:
            if (ch != '\n') return -1;
            c->body = B_CHUNK_SIZE;
            c->chunk = 0;
            break;
        case B_TRAILER:
            if (ch == '\n') {
                if (c->trailer_line_len == 0) c->body = B_NONE;
                c->trailer_line_len = 0;
            } else if (ch != '\r') {
                c->trailer_line_len++;
            }
            break;
        default:
            return -1;
        }
        continue;
    size_done:
        if (c->chunk == 0) { c->body = B_TRAILER; c->trailer_line_len = 0; }
        else { c->body = B_CHUNK_DATA; c->remaining = c->chunk; }
    }
    *pos = i;
    return 1;
}

/* Sends what is pending. Returns 1 when all is sent, 0 on EAGAIN, -1 on error. */
static int flush_out(struct conn *c) {
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->out += n;
        c->out_len -= (size_t)n;
    }
    return 1;
}

/* Processes whatever is buffered. Returns -1 to close the connection, 0 to keep it. */
static int process(int ep, struct conn *c) {
    size_t pos = 0;
    for (;;) {
        if (c->out_len > 0) break; /* wait for EPOLLOUT before answering more */
        if (!c->in_body) {
            char *hdr = memmem(c->buf + pos, c->len - pos, "\r\n\r\n", 4);
            if (!hdr) {
                if (c->len - pos >= IN_CAP) return -1; /* header block too large */
                break;
            }
            size_t hdr_len = (size_t)(hdr + 4 - (c->buf + pos));
            if (pos > 0) { memmove(c->buf, c->buf + pos, c->len - pos); c->len -= pos; pos = 0; }
            if (parse_head(c, hdr_len) < 0) return -1;
            pos = hdr_len;
            c->in_body = 1;
        }
        int r = skip_body(c, &pos);
        if (r < 0) return -1;
        if (r == 0) break;
        c->in_body = 0;
        if (c->big) { c->out = c->close_after ? big_resp_close : big_resp; c->out_len = c->close_after ? big_close_len : big_len; }
        else { c->out = c->close_after ? small_resp_close : small_resp; c->out_len = c->close_after ? small_close_len : small_len; }
        int f = flush_out(c);
        if (f < 0) return -1;
        if (f == 0) {
            struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            break;
        }
        if (c->close_after) return -1;
    }
    if (pos > 0) { memmove(c->buf, c->buf + pos, c->len - pos); c->len -= pos; }
    return 0;
}

static int listen_socket(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
        perror("backend: bind/listen");
        exit(1);
    }
    return fd;
}

static void *worker(void *arg) {
    int lfd = *(int *)arg;
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, events[MAX_EVENTS];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (!nc) { close(fd); continue; }
                    nc->fd = fd;
                    struct epoll_event cev = { .events = EPOLLIN, .data.ptr = nc };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            if (events[i].events & EPOLLOUT) {
                int f = flush_out(c);
                if (f < 0 || (f == 1 && c->close_after)) { conn_close(ep, c); continue; }
                if (f == 0) continue;
                struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
                if (process(ep, c) < 0) { conn_close(ep, c); continue; }
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                int dead = 0;
                for (;;) {
                    if (c->len == IN_CAP) {
                        /* Full: only possible mid-body (headers are limited); everything buffered is body. */
                        if (process(ep, c) < 0) { dead = 1; break; }
                        if (c->len == IN_CAP) { dead = 1; break; }
                    }
                    ssize_t r = recv(c->fd, c->buf + c->len, IN_CAP - c->len, 0);
                    if (r > 0) { c->len += (size_t)r; if (process(ep, c) < 0) { dead = 1; break; } continue; }
                    if (r == 0) { dead = 1; break; }
                    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                    if (errno == EINTR) continue;
                    dead = 1;
                    break;
                }
                if (dead) conn_close(ep, c);
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: backend PORT [THREADS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (threads < 1) threads = 1;
    signal(SIGPIPE, SIG_IGN);
    build_responses();
    pthread_t t[64];
    int fds[64];
    if (threads > 64) threads = 64;
    for (int i = 0; i < threads; i++) fds[i] = listen_socket();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &fds[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return 0;
}
