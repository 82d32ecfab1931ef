/*
 * utf8 — strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF),
 * nothing above U+10FFFF, no truncated sequences.
 */
#ifndef RESTOCK_UTF8_H
#define RESTOCK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at s (n bytes available, n >= 1) into *cp and returns its length in
 * bytes (1 to 4), or -1 when s does not start with a valid UTF-8 sequence. */
int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* 1 when the n bytes at s are valid UTF-8 (NUL bytes included), else 0. */
int utf8_valid(const char *s, size_t n);
/* 1 when s holds an ASCII control character (below 0x20, or DEL): a name or a title that must
 * fit on one line of a header. */
int has_control(const char *s);

#endif
