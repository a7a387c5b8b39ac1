/* serving.h: does a process serve a given listening socket yet? */
#ifndef DEPLOY_SERVING_H
#define DEPLOY_SERVING_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * True when process pid watches the socket behind our fd sock (the same
 * open socket, whatever fd number it has there) in one of its epoll
 * sets, as read from /proc/PID/fdinfo: an event loop (Node, Go, Python
 * asyncio, nginx) does so once it listens. False when it does not yet,
 * or when that cannot be seen (a server blocked in accept() or using
 * poll(), another user's process): callers fall back to a timer.
 */
bool proc_serves_socket(pid_t pid, int sock);

#endif
