/* `kage env`: the settings in effect, each with where it came from, as JSON. */
#include <stdio.h>

#include <json-c/json.h>

#include "cli.h"
#include "../oci/settings.h"

const struct cli_cmd cmd_env_usage = {
	"env", "[--config FILE] env",
	"Print kage's settings as JSON: each one's value and whether it came from\n"
	"the config file or the built-in default. The file is the first of\n"
	"--config FILE, $" CONFIG_ENV " and " CONFIG_SYSTEM_PATH " (see docs/config.md).",
	NULL, 0, CLI_OPERAND_OTHER,
};

int cmd_env(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct kage_config c;
	struct json_object *o = NULL;
	int ret;

	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_env_usage, stdout);
		return 0;
	}
	if (argc > 1)
		return err_msg(err, "env: unexpected argument '%s'", argv[1]);
	if (config__load(g->config_path, &c, err) < 0)
		return -1;
	ret = config__to_json(&c, &o, err);
	config__free(&c);
	if (ret < 0)
		return ret;
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
