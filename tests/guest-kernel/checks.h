/* Checks run by testinit (one file per area); each prints TAP lines via tap(). */
#ifndef BH_TESTINIT_CHECKS_H
#define BH_TESTINIT_CHECKS_H
#include <stddef.h>

void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int write_file(const char *path, const char *s);
int read_file(const char *path, char *buf, size_t len);
int run_child(int (*fn)(void *), void *arg);

void check_namespaces(void);
void check_cgroup2(void);
void check_seccomp(void);
void check_overlay(int disks);
void check_vsock(void);
void check_net(void);
void check_devices(void);
#endif
