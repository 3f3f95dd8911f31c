#include "sha256_pair.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int tailtown_sha256_pair_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if ((ecx & bit_SSSE3) == 0 || (ecx & bit_SSE4_1) == 0) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & bit_SHA) != 0;
}

/* FIPS 180-4's round constants. */
static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Rounds 4q ... 4q+3 of both messages. X and Y hold the two schedules as four quads each, quad q
   in slot q % 4: the instructions produce quad q+1 (from quad 4 on) and start quad q+3's (up to 15). */
#define QUAD(q)                                                                                          \
    do {                                                                                                 \
        __m128i k = _mm_load_si128((const __m128i *)&round_constants[4 * (q)]);                          \
        __m128i kx = _mm_add_epi32(x[(q) & 3], k), ky = _mm_add_epi32(y[(q) & 3], k);                    \
        x_cdgh = _mm_sha256rnds2_epu32(x_cdgh, x_abef, kx);                                              \
        y_cdgh = _mm_sha256rnds2_epu32(y_cdgh, y_abef, ky);                                              \
        if ((q) >= 3 && (q) <= 14) {                                                                     \
            x[((q) + 1) & 3] = _mm_sha256msg2_epu32(                                                     \
                _mm_add_epi32(x[((q) + 1) & 3], _mm_alignr_epi8(x[(q) & 3], x[((q) - 1) & 3], 4)), x[(q) & 3]); \
            y[((q) + 1) & 3] = _mm_sha256msg2_epu32(                                                     \
                _mm_add_epi32(y[((q) + 1) & 3], _mm_alignr_epi8(y[(q) & 3], y[((q) - 1) & 3], 4)), y[(q) & 3]); \
        }                                                                                                \
        kx = _mm_shuffle_epi32(kx, 0x0E);                                                                \
        ky = _mm_shuffle_epi32(ky, 0x0E);                                                                \
        x_abef = _mm_sha256rnds2_epu32(x_abef, x_cdgh, kx);                                              \
        y_abef = _mm_sha256rnds2_epu32(y_abef, y_cdgh, ky);                                              \
        if ((q) >= 1 && (q) <= 12) {                                                                     \
            x[((q) - 1) & 3] = _mm_sha256msg1_epu32(x[((q) - 1) & 3], x[(q) & 3]);                       \
            y[((q) - 1) & 3] = _mm_sha256msg1_epu32(y[((q) - 1) & 3], y[(q) & 3]);                       \
        }                                                                                                \
    } while (0)

/* The instructions keep the state as ABEF and CDGH; H0 ... H7 are A ... H. */
__attribute__((target("sha,sse4.1,ssse3")))
static inline void load_state(const uint32_t state[8], __m128i *abef, __m128i *cdgh) {
    __m128i badc = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    *abef = _mm_alignr_epi8(badc, hgfe, 8);
    *cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);
}

__attribute__((target("sha,sse4.1,ssse3")))
static inline void store_state(__m128i abef, __m128i cdgh, uint32_t state[8]) {
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* Compresses `blocks` 64-byte blocks of each message into its state. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_pair(uint32_t first_state[8], uint32_t second_state[8],
                          const uint8_t *first, const uint8_t *second, size_t blocks) {
    const __m128i big_endian = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i x_abef, x_cdgh, y_abef, y_cdgh;
    load_state(first_state, &x_abef, &x_cdgh);
    load_state(second_state, &y_abef, &y_cdgh);
    while (blocks-- > 0) {
        const __m128i x_abef_before = x_abef, x_cdgh_before = x_cdgh;
        const __m128i y_abef_before = y_abef, y_cdgh_before = y_cdgh;
        __m128i x[4], y[4];
        for (int quad = 0; quad < 4; quad++) {
            x[quad] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(first + 16 * quad)), big_endian);
            y[quad] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(second + 16 * quad)), big_endian);
        }
        QUAD(0); QUAD(1); QUAD(2); QUAD(3); QUAD(4); QUAD(5); QUAD(6); QUAD(7);
        QUAD(8); QUAD(9); QUAD(10); QUAD(11); QUAD(12); QUAD(13); QUAD(14); QUAD(15);
        x_abef = _mm_add_epi32(x_abef, x_abef_before);
        x_cdgh = _mm_add_epi32(x_cdgh, x_cdgh_before);
        y_abef = _mm_add_epi32(y_abef, y_abef_before);
        y_cdgh = _mm_add_epi32(y_cdgh, y_cdgh_before);
        first += 64;
        second += 64;
    }
    store_state(x_abef, x_cdgh, first_state);
    store_state(y_abef, y_cdgh, second_state);
}

/* The message's last bytes (fewer than 64), the 0x80 byte, zeros and the bit length: one or two blocks. */
static size_t final_blocks(const uint8_t *rest, size_t rest_count, uint64_t total, uint8_t blocks[128]) {
    memset(blocks, 0, 128);
    if (rest_count > 0) memcpy(blocks, rest, rest_count);
    blocks[rest_count] = 0x80;
    size_t length = rest_count + 9 <= 64 ? 64 : 128;
    uint64_t bits = total * 8;
    for (int index = 0; index < 8; index++) blocks[length - 1 - index] = (uint8_t)(bits >> (8 * index));
    return length / 64;
}

/* The digests of two messages of `count` bytes each that continue from `start`, which already holds `before` bytes
   (0, or the 64 of an HMAC key's padded block). */
__attribute__((target("sha,sse4.1,ssse3")))
static void finish_pair(const uint32_t start[8], uint64_t before, const uint8_t *first, const uint8_t *second,
                        size_t count, uint8_t first_digest[32], uint8_t second_digest[32]) {
    uint32_t first_state[8], second_state[8];
    memcpy(first_state, start, sizeof first_state);
    memcpy(second_state, start, sizeof second_state);
    size_t whole = count / 64;
    compress_pair(first_state, second_state, first, second, whole);

    uint8_t first_end[128], second_end[128];
    size_t blocks = final_blocks(first + 64 * whole, count % 64, before + count, first_end);
    final_blocks(second + 64 * whole, count % 64, before + count, second_end);
    compress_pair(first_state, second_state, first_end, second_end, blocks);

    for (int word = 0; word < 8; word++) {
        for (int byte = 0; byte < 4; byte++) {
            first_digest[4 * word + byte] = (uint8_t)(first_state[word] >> (24 - 8 * byte));
            second_digest[4 * word + byte] = (uint8_t)(second_state[word] >> (24 - 8 * byte));
        }
    }
}

/* FIPS 180-4's initial hash value. */
static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

void tailtown_sha256_pair(const void *first, const void *second, size_t count,
                          uint8_t first_digest[32], uint8_t second_digest[32]) {
    finish_pair(initial_state, 0, first, second, count, first_digest, second_digest);
}

void tailtown_hmac_sha256_key(const uint8_t key[64], uint32_t states[16]) {
    uint8_t inner_block[64], outer_block[64];
    for (int index = 0; index < 64; index++) {
        inner_block[index] = key[index] ^ 0x36;
        outer_block[index] = key[index] ^ 0x5c;
    }
    memcpy(states, initial_state, sizeof initial_state);
    memcpy(states + 8, initial_state, sizeof initial_state);
    compress_pair(states, states + 8, inner_block, outer_block, 1);
}

void tailtown_hmac_sha256_pair(const uint32_t states[16], const void *first, const void *second, size_t count,
                               uint8_t first_mac[32], uint8_t second_mac[32]) {
    uint8_t first_inner[32], second_inner[32];
    finish_pair(states, 64, first, second, count, first_inner, second_inner);
    finish_pair(states + 8, 64, first_inner, second_inner, 32, first_mac, second_mac);
}

#else

int tailtown_sha256_pair_available(void) { return 0; }

void tailtown_sha256_pair(const void *first, const void *second, size_t count,
                          uint8_t first_digest[32], uint8_t second_digest[32]) {
    (void)first;
    (void)second;
    (void)count;
    memset(first_digest, 0, 32);
    memset(second_digest, 0, 32);
}

void tailtown_hmac_sha256_key(const uint8_t key[64], uint32_t states[16]) {
    (void)key;
    memset(states, 0, 16 * sizeof(uint32_t));
}

void tailtown_hmac_sha256_pair(const uint32_t states[16], const void *first, const void *second, size_t count,
                               uint8_t first_mac[32], uint8_t second_mac[32]) {
    (void)states;
    (void)first;
    (void)second;
    (void)count;
    memset(first_mac, 0, 32);
    memset(second_mac, 0, 32);
}

#endif
