/* serving.c: does a process serve a given listening socket yet? */
#include "core/probe/serving.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* True when /proc/PID/fd/FD is the socket with inode ino. */
static bool
fd_is_socket(pid_t pid, long fd, ino_t ino)
{
	char path[64], link[64], want[40];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/fd/%ld", (int)pid, fd);
	n = readlink(path, link, sizeof link - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)ino);
	return strcmp(link, want) == 0;
}

/* True when the epoll set at /proc/PID/fdinfo/EPFD watches inode ino:
   its lines "tfd: N events: ..." name the fds it watches. */
static bool
epoll_watches(pid_t pid, const char *epfd, ino_t ino)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/fdinfo/%.10s", (int)pid, epfd);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		long tfd;

		if (sscanf(line, "tfd: %ld", &tfd) == 1)
			found = fd_is_socket(pid, tfd, ino);
	}
	fclose(f);
	return found;
}

/* Look through pid's epoll fds for our socket. */
bool
proc_serves_socket(pid_t pid, int sock)
{
	char path[64], link[64];
	struct dirent *de;
	bool found = false;
	struct stat st;
	DIR *d;

	if (fstat(sock, &st) < 0)
		return false;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		char fdpath[sizeof path + 16];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof fdpath, "%s/%.10s", path, de->d_name);
		n = readlink(fdpath, link, sizeof link - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[eventpoll]") == 0)
			found = epoll_watches(pid, de->d_name, st.st_ino);
	}
	closedir(d);
	return found;
}
