#include "cli/completion.hpp"

#include <fmt/core.h>

#include "project/manifest.hpp"
#include "util/output.hpp"
#include "util/text_reader.hpp"

namespace runner::cli {

int cmd_complete(const Context& ctx, const CommandOptions& /*o*/) {
  std::vector<project::Diagnostic> diagnostics;
  const auto manifest = project::parse_manifest(util::read_text_file(ctx.manifest_path()),
                                                ctx.manifest_path().string(), diagnostics);
  for (const auto& entry : manifest.revisions) {
    util::print(stdout, "{}\n", entry.id.text());
  }
  return 0;
}

}  // namespace runner::cli
