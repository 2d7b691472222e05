/*
 * Prints the settings tree libstrongswan reads from a file, as JSON:
 * [["v", key, value] | ["s", name, [...]], ...], keys before sections as libstrongswan enumerates them.
 * The oracle for components/strongswan/settings-parser.ts (see tools/swanctl-libstrongswan.ts).
 * Built against the installed library without its headers: only the leading members of settings_t and
 * enumerator_t that are used here are declared, in the order of strongSwan 5.9's settings.h / enumerator.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct enumerator_t enumerator_t;
struct enumerator_t {
	bool (*enumerate)(enumerator_t *this, ...);
	void *venumerate;
	void (*destroy)(enumerator_t *this);
};

typedef struct settings_t settings_t;
struct settings_t {
	void *get_str, *get_bool, *get_int, *get_double, *get_time;
	void *set_str, *set_bool, *set_int, *set_double, *set_time, *set_default_str;
	enumerator_t *(*create_section_enumerator)(settings_t *this, char *section, ...);
	enumerator_t *(*create_key_value_enumerator)(settings_t *this, char *section, ...);
	void *add_fallback;
	bool (*load_files)(settings_t *this, char *pattern, bool merge);
};

extern settings_t *settings_create(char *file);
extern bool library_init(char *settings, const char *namespace);

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++)
	{
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The section path is a printf format whose "." separate names: escape "%" in names. */
static void append_name(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);
	if (n && n < len - 1)
		buf[n++] = '.';
	for (; *name && n < len - 2; name++)
	{
		if (*name == '%')
			buf[n++] = '%';
		buf[n++] = *name;
	}
	buf[n] = '\0';
}

static void walk(settings_t *s, const char *path)
{
	enumerator_t *e;
	char *key, *value;
	bool first = true;

	putchar('[');
	e = s->create_key_value_enumerator(s, (char *)path);
	while (e->enumerate(e, &key, &value))
	{
		printf(first ? "[\"v\"," : ",[\"v\",");
		first = false;
		json_string(key);
		putchar(',');
		json_string(value);
		putchar(']');
	}
	e->destroy(e);
	e = s->create_section_enumerator(s, (char *)path);
	while (e->enumerate(e, &key))
	{
		char sub[8192];
		snprintf(sub, sizeof(sub), "%s", path);
		append_name(sub, sizeof(sub), key);
		printf(first ? "[\"s\"," : ",[\"s\",");
		first = false;
		json_string(key);
		putchar(',');
		walk(s, sub);
		putchar(']');
	}
	e->destroy(e);
	putchar(']');
}

int main(int argc, char *argv[])
{
	settings_t *s;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	library_init(NULL, "settings-dump");
	s = settings_create(NULL);
	if (!s->load_files(s, argv[1], false))
		return 1;
	walk(s, "");
	putchar('\n');
	return 0;
}
