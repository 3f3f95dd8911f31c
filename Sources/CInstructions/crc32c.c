#include "crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>

int tailtown_crc32c_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

/* Compiled for SSE 4.2 on its own, so the rest of the program keeps the baseline instruction set. */
__attribute__((target("sse4.2")))
uint32_t tailtown_crc32c_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t register64 = crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        register64 = _mm_crc32_u64(register64, word);
        p += 8;
        count -= 8;
    }
    crc = (uint32_t)register64;
    while (count > 0) {
        crc = _mm_crc32_u8(crc, *p);
        p++;
        count--;
    }
    return crc;
}

#else

int tailtown_crc32c_available(void) { return 0; }

uint32_t tailtown_crc32c_update(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif
