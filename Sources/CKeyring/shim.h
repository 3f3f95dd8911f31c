#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's key retention service has no glibc wrapper (libkeyutils is not linked), and
   syscall(2) is variadic, which Swift cannot call: these shims make each call with typed arguments. */
static inline long tt_add_key(const char *type, const char *description, const void *payload, size_t length, int keyring) {
    return syscall(SYS_add_key, type, description, payload, length, keyring);
}
static inline long tt_keyctl_search(int keyring, const char *type, const char *description) {
    return syscall(SYS_keyctl, KEYCTL_SEARCH, keyring, type, description, 0);
}
static inline long tt_keyctl_read(int key, void *buffer, size_t length) {
    return syscall(SYS_keyctl, KEYCTL_READ, key, buffer, length);
}
static inline long tt_keyctl_setperm(int key, unsigned int permissions) {
    return syscall(SYS_keyctl, KEYCTL_SETPERM, key, permissions);
}
static inline long tt_keyctl_set_timeout(int key, unsigned int seconds) {
    return syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, key, seconds);
}
static inline long tt_keyctl_link(int key, int keyring) {
    return syscall(SYS_keyctl, KEYCTL_LINK, key, keyring);
}
static inline long tt_keyctl_invalidate(int key) {
    return syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
}
