#include "project/config.hpp"

#include <fmt/core.h>

#include <toml++/toml.h>

#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"

namespace runner::project {
namespace {

[[noreturn]] void fail(const std::string& path, const toml::source_region& where,
                       const std::string& message) {
  throw InputError(fmt::format("{}:{}:{}: error: {}", path, where.begin.line, where.begin.column,
                               message));
}

std::string string_value(const std::string& path, const toml::node& node, const std::string& key) {
  const auto* value = node.as_string();
  if (value == nullptr) {
    fail(path, node.source(), fmt::format("'{}' must be a string", key));
  }
  return util::expand_env(value->get());
}

Settings parse_settings(const std::string& path, const toml::table& table, bool allow_env) {
  Settings settings;
  for (const auto& [key_node, node] : table) {
    const std::string key(key_node.str());
    if (key == "database") {
      settings.database = string_value(path, node, key);
    } else if (key == "manifest") {
      settings.manifest = string_value(path, node, key);
    } else if (key == "table") {
      settings.table = string_value(path, node, key);
    } else if (key == "templates") {
      settings.templates = string_value(path, node, key);
    } else if (key == "lock_timeout") {
      if (const auto* i = node.as_integer()) {
        settings.lock_timeout = static_cast<double>(i->get());
      } else if (const auto* f = node.as_floating_point()) {
        settings.lock_timeout = f->get();
      } else {
        fail(path, node.source(), "'lock_timeout' must be a number of seconds");
      }
      if (!util::valid_wait_seconds(*settings.lock_timeout)) {  // TOML allows nan and inf
        fail(path, node.source(),
             fmt::format("'lock_timeout' must be a number of seconds between 0 and {}",
                         util::k_max_wait_seconds));
      }
    } else if (key == "dump_schema") {
      const auto* b = node.as_boolean();
      if (b == nullptr) {
        fail(path, node.source(), "'dump_schema' must be true or false");
      }
      settings.dump_schema = b->get();
    } else if (key == "ids") {
      settings.ids = string_value(path, node, key);
      if (*settings.ids != "sequential" && *settings.ids != "timestamp") {
        fail(path, node.source(), "'ids' must be \"sequential\" or \"timestamp\"");
      }
    } else if (key == "env" && allow_env) {
      // handled by the caller
    } else {
      fail(path, key_node.source(),
           fmt::format("unknown key '{}' (expected database, manifest, table, lock_timeout, "
                       "templates, dump_schema, ids{})",
                       key, allow_env ? ", [env.NAME]" : ""));
    }
  }
  return settings;
}

template <typename T>
void override_with(std::optional<T>& base, const std::optional<T>& over) {
  if (over) {
    base = over;
  }
}

}  // namespace

Settings Config::resolve(const std::string& env_name) const {
  Settings settings = top;
  if (env_name.empty()) {
    return settings;
  }
  const auto it = envs.find(env_name);
  if (it == envs.end()) {
    std::string known;
    for (const auto& [name, unused] : envs) {
      known += (known.empty() ? "" : ", ") + name;
    }
    throw InputError(fmt::format("{}: no [env.{}] table (defined: {})", path.string(), env_name,
                                 known.empty() ? "none" : known));
  }
  const Settings& env = it->second;
  override_with(settings.database, env.database);
  override_with(settings.manifest, env.manifest);
  override_with(settings.table, env.table);
  override_with(settings.lock_timeout, env.lock_timeout);
  override_with(settings.templates, env.templates);
  override_with(settings.dump_schema, env.dump_schema);
  override_with(settings.ids, env.ids);
  return settings;
}

Config parse_config(std::string_view text, const std::string& display_path) {
  toml::table root;
  try {
    root = toml::parse(text, display_path);
  } catch (const toml::parse_error& e) {
    fail(display_path, e.source(), std::string(e.description()));
  }
  Config config;
  config.path = display_path;
  config.top = parse_settings(display_path, root, true);
  if (const toml::node* env = root.get("env")) {
    const auto* envs = env->as_table();
    if (envs == nullptr) {
      fail(display_path, env->source(), "'env' must hold [env.NAME] tables");
    }
    for (const auto& [name, node] : *envs) {
      const auto* table = node.as_table();
      if (table == nullptr) {
        fail(display_path, node.source(), fmt::format("'env.{}' must be a table", name.str()));
      }
      config.envs.emplace(std::string(name.str()), parse_settings(display_path, *table, false));
    }
  }
  return config;
}

Config load_config(const std::filesystem::path& path) {
  Config config = parse_config(util::read_text_file(path), path.string());
  config.path = path;
  return config;
}

ChosenUrl choose_database_url(const std::optional<std::string>& flag,
                              const std::function<std::optional<std::string>(const char*)>& getenv,
                              const Settings& settings,
                              const std::filesystem::path& manifest_dir) {
  if (flag) {
    return {*flag, "--database"};
  }
  for (const char* name : {"RUNNER_DATABASE_URL", "DATABASE_URL"}) {
    if (auto value = getenv(name); value && !value->empty()) {
      return {*value, name};
    }
  }
  if (settings.database) {
    return {*settings.database, "runner.toml"};
  }
  const std::filesystem::path file = manifest_dir.empty() ? "runner.db" : manifest_dir / "runner.db";
  return {"sqlite:" + file.string(), "default"};
}

}  // namespace runner::project
