/* Fuzzes the outgoing-message encoders: email_build with arbitrary subject, display name, text
 * and html (the input split at NUL bytes), and sms_segments. Invariants: a built message is
 * 7-bit, has CRLF line ends only, body lines of at most 76 and header lines of at most 998
 * characters; email_build refuses exactly the subjects and names with CR, LF or bad UTF-8;
 * sms_segments is -1 exactly for bad UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "deliver/email.h"
#include "deliver/sms.h"
#include "util/buf.h"
#include "util/utf8.h"

static int text_ok(const char *s)
{
    return !strpbrk(s, "\r\n") && utf8_valid(s, strlen(s));
}

static void check_lines(const char *p, size_t n)
{
    size_t col = 0, max = 998;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c == 0 || (c == '\n' && (i == 0 || p[i - 1] != '\r'))) abort();
        if (c == '\r') {
            if (i + 1 >= n || p[i + 1] != '\n') abort();
            if (col == 0 && max == 998) max = 76; /* the blank line: the body starts */
            col = 0, i++;
        } else if (++col > max) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    char *in = malloc(n + 4);
    memcpy(in, data, n);
    memset(in + n, 0, 4);
    const char *f[4];
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        f[i] = in + (off < n ? off : n);
        off += strlen(f[i]) + 1;
    }
    struct email_msg m = {.from_name = f[1],
                          .from_addr = "shop@example.com",
                          .to_addr = "anna@example.org",
                          .subject = f[0],
                          .text = f[2],
                          .html = f[3],
                          .unsubscribe_url = "https://x.example/u",
                          .message_id = "id@restock",
                          .date = 1795341600};
    struct buf out = BUF_INIT(0);
    int rc = email_build(&m, &out);
    if ((rc == 0) != (text_ok(f[0]) && text_ok(f[1]))) abort();
    if (rc == 0) check_lines(out.p, out.len);
    buf_free(&out);
    int segs = sms_segments(f[2]);
    if ((segs == -1) != !utf8_valid(f[2], strlen(f[2])) || segs == 0) abort();
    free(in);
    return 0;
}
