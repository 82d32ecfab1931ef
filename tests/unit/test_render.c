/* Unit tests for core/render: placeholders, fallbacks, unknown names, unterminated braces, HTML
 * escaping of values (not of the template), the buffer limit, and render_uses. */
#include "core/render.h"
#include "test.h"

static const struct render_vars vars = {
    .first_name = "Ada",
    .product_title = "Tee <Limited> & \"Co\"",
    .variant_title = "",
    .price = "€19.90",
    .action_url = "https://r.example/c/1?a=1&b=2",
    .unsubscribe_url = "https://r.example/u/1",
};

TEST(render_placeholders)
{
    static const struct {
        const char *tmpl;
        int escape;
        const char *want;
    } cases[] = {
        {"Hi {{first_name|there}}", 0, "Hi Ada"},
        {"Hi {{ first_name | there }}!", 0, "Hi Ada!"},
        {"Hi {{\n\tfirst_name\n}}", 0, "Hi Ada"},
        {"{{first_name}}{{first_name}}", 0, "AdaAda"},
        {"{{price}}", 0, "€19.90"},
        /* empty and unset values take the fallback, or nothing */
        {"{{variant_title|One size}}", 0, "One size"},
        {"[{{variant_title}}]", 0, "[]"},
        {"{{shop_name|us}}", 0, "us"},
        {"{{cart_url}}.", 0, "."},
        {"{{image_url|a|b}}", 0, "a|b"},
        {"{{ shop_name | dear  friend }}", 0, "dear  friend"},
        /* unknown names: the fallback or nothing; names are case-sensitive */
        {"{{nope}}x", 0, "x"},
        {"{{nope|fb}}", 0, "fb"},
        {"{{FIRST_NAME}}", 0, ""},
        {"{{}}", 0, ""},
        {"{{|x}}", 0, "x"},
        {"{{ | }}", 0, ""},
        /* braces that are not placeholders */
        {"a {{ b", 0, "a {{ b"},
        {"{{first_name", 0, "{{first_name"},
        {"{{first_name}", 0, "{{first_name}"},
        {"}} {{first_name}}", 0, "}} Ada"},
        {"{{ {{first_name}}", 0, "{{ Ada"},
        {"{{{first_name}}}", 0, "{Ada}"},
        {"{{{{first_name}}", 0, "{{Ada"},
        {"{ {first_name} }", 0, "{ {first_name} }"},
        {"", 0, ""},
        {"plain", 1, "plain"},
        /* HTML: values escaped, the template's own markup and fallbacks not */
        {"{{product_title}}", 1, "Tee &lt;Limited&gt; &amp; &quot;Co&quot;"},
        {"{{product_title}}", 0, "Tee <Limited> & \"Co\""},
        {"<a href=\"{{action_url}}\">Buy</a>", 1,
         "<a href=\"https://r.example/c/1?a=1&amp;b=2\">Buy</a>"},
        {"<a href=\"{{action_url}}\">Buy</a>", 0,
         "<a href=\"https://r.example/c/1?a=1&b=2\">Buy</a>"},
        {"{{shop_name|<b>us</b>}}", 1, "<b>us</b>"},
        {"<p>{{ first_name|there }}</p>", 1, "<p>Ada</p>"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = BUF_INIT(0);
        CHECK_INT(render(cases[i].tmpl, &vars, cases[i].escape, &b), 0);
        if (!b.p || strcmp(b.p, cases[i].want) != 0) fprintf(stderr, "  case %zu\n", i);
        CHECK_STR(b.p, cases[i].want);
        buf_free(&b);
    }
    /* No variables at all: every placeholder is its fallback. */
    struct buf b = BUF_INIT(0);
    CHECK_INT(render("Hi {{first_name|there}}{{price}}", NULL, 0, &b), 0);
    CHECK_STR(b.p, "Hi there");
    /* render appends to what out holds. */
    CHECK_INT(render(" and {{first_name}}", &vars, 0, &b), 0);
    CHECK_STR(b.p, "Hi there and Ada");
    buf_free(&b);
}

TEST(render_limit)
{
    static const struct {
        const char *tmpl;
        int escape;
        size_t limit;
        int want;
    } cases[] = {
        {"Hi {{first_name}}", 0, 6, 0},
        {"Hi {{first_name}}", 0, 5, -1},     /* the value does not fit */
        {"Hello, {{first_name}}", 0, 5, -1}, /* the literal text does not */
        {"{{nope|fallback}}", 0, 8, 0},
        {"{{nope|fallback}}", 0, 7, -1},
        {"{{product_title}}", 0, 20, 0},
        {"{{product_title}}", 1, 20, -1}, /* escaping makes it longer */
        {"{{product_title}}", 1, 39, -1},
        {"{{product_title}}", 1, 40, 0},
        {"", 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = BUF_INIT(cases[i].limit);
        int rc = render(cases[i].tmpl, &vars, cases[i].escape, &b);
        if (rc != cases[i].want) fprintf(stderr, "  case %zu\n", i);
        CHECK_INT(rc, cases[i].want);
        CHECK_INT(b.toobig, cases[i].want != 0);
        CHECK(b.len <= cases[i].limit);
        if (rc == 0) CHECK(b.p != NULL); /* a C string even when empty */
        buf_free(&b);
    }
}

TEST(render_uses)
{
    static const struct {
        const char *tmpl, *name;
        int want;
    } cases[] = {
        {"<a href=\"{{action_url}}\">", "action_url", 1},
        {"<a href=\"{{ action_url }}\">", "action_url", 1},
        {"{{action_url|https://shop.example}}", "action_url", 1},
        {"{{action_url_x}}", "action_url", 0},
        {"{{x_action_url}}", "action_url", 0},
        {"action_url", "action_url", 0},
        {"{{ action_url", "action_url", 0},
        {"{{x|action_url}}", "action_url", 0},
        {"{{x}} {{action_url}}", "action_url", 1},
        {"{{ {{action_url}}", "action_url", 1},
        {"https://shop.example/p", "action_url", 0},
        {"", "action_url", 0},
        {NULL, "action_url", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (render_uses(cases[i].tmpl, cases[i].name) != cases[i].want)
            fprintf(stderr, "  case %zu\n", i);
        CHECK_INT(render_uses(cases[i].tmpl, cases[i].name), cases[i].want);
    }
}
