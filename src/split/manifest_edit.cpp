#include "split/manifest_edit.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "project/manifest.hpp"
#include "split/manifest_text.hpp"
#include "util/errors.hpp"

namespace runner::split {
namespace {

// A replacement of text[span] by `text`.
struct Edit {
  Span span;
  std::string text;
};

// `value` written the way `span` of `text` is: quoted alike, or plain.
std::string styled(std::string_view text, Span span, std::string_view value) {
  const char first = text[span.begin];
  if (first == '"' || first == '\'') {
    return fmt::format("{}{}{}", first, value, first);
  }
  return std::string(value);
}

// text[range] with the edits (sorted, inside the range) applied and the
// skipped spans left out.
std::string copy_with(std::string_view text, Span range, std::vector<Edit> edits,
                      const std::vector<Span>& skip) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.span.begin < b.span.begin; });
  std::string out;
  std::size_t at = range.begin;
  auto emit_until = [&](std::size_t end) {
    while (at < end) {
      const auto s = std::find_if(skip.begin(), skip.end(),
                                  [&](const Span& x) { return x.begin <= at && at < x.end; });
      if (s != skip.end()) {
        at = s->end;
        continue;
      }
      const auto next =
          std::find_if(skip.begin(), skip.end(), [&](const Span& x) { return x.begin > at; });
      const std::size_t stop = std::min(end, next == skip.end() ? end : next->begin);
      out.append(text.substr(at, stop - at));
      at = stop;
    }
  };
  for (const auto& edit : edits) {
    emit_until(edit.span.begin);
    out += edit.text;
    at = edit.span.end;
  }
  emit_until(range.end);
  return out;
}

// The manifest as the runner reads it: no BOM, LF line ends.
std::string normalised(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      out.push_back(text[i]);
    }
  }
  return out;
}

project::Kind kind_of(std::string_view kind) {
  return kind == "data" ? project::Kind::data : project::Kind::schema;
}

// Throws unless `edited` reads back as `original` with the split applied.
void verify(std::string_view original, std::string_view edited, const std::string& path,
            std::size_t index, std::string_view kind, const std::vector<NewEntry>& added,
            std::size_t line) {
  std::vector<project::Diagnostic> before_problems;
  std::vector<project::Diagnostic> after_problems;
  const auto before = project::parse_manifest(normalised(original), path, before_problems);
  const auto after = project::parse_manifest(normalised(edited), path, after_problems);
  std::vector<project::Entry> expected = before.revisions;
  bool same = !project::has_errors(before_problems) && !project::has_errors(after_problems) &&
              index < expected.size();
  if (same) {
    const project::Entry model = expected[index];
    expected[index].kind = kind_of(kind);
    std::size_t at = index + 1;
    for (const auto& entry : added) {
      project::Entry copy = model;
      copy.id = *project::RevisionId::parse(entry.id);
      copy.name = entry.name;
      copy.kind = kind_of(entry.kind);
      expected.insert(expected.begin() + static_cast<long>(at++), copy);
    }
    same = expected.size() == after.revisions.size();
    for (std::size_t i = 0; same && i < expected.size(); ++i) {
      const auto& a = expected[i];
      const auto& b = after.revisions[i];
      same = a.id.text() == b.id.text() && a.name == b.name && a.kind == b.kind &&
             a.transaction == b.transaction && a.irreversible == b.irreversible &&
             a.dialects == b.dialects && a.description == b.description;
    }
  }
  if (!same) {
    throw InputError(
        fmt::format("{}:{}: error: split cannot edit this manifest entry safely (the "
                    "edited manifest would not read back as intended); nothing was "
                    "changed. Split the revision by hand",
                    path, line));
  }
}

}  // namespace

std::string edit_manifest(std::string_view text, const std::string& display_path, std::size_t index,
                          std::string_view kind, const std::vector<NewEntry>& added) {
  const std::vector<EntryText> items = find_entries(text, display_path);
  if (index >= items.size()) {
    refuse_edit(text, display_path, 0,
                fmt::format("the list has {} entries, not {}", items.size(), index + 1));
  }
  const EntryText& item = items[index];
  const std::size_t anchor = item.flow ? item.map.begin : item.begin;
  if (!item.id || !item.name || !item.kind) {
    refuse_edit(text, display_path, anchor, "its id, name or kind was not found");
  }
  const auto copy = [&](const NewEntry& entry) {
    const std::vector<Edit> edits{{*item.id, styled(text, *item.id, entry.id)},
                                  {*item.name, styled(text, *item.name, entry.name)},
                                  {*item.kind, styled(text, *item.kind, entry.kind)}};
    return item.flow ? copy_with(text, item.map, edits, {})
                     : copy_with(text, Span{item.begin, item.end}, edits, item.skip);
  };
  // The line ending of the entry's own line.
  const std::size_t newline = text.find('\n', anchor);
  const std::string eol =
      newline != std::string_view::npos && newline > 0 && text[newline - 1] == '\r' ? "\r\n" : "\n";
  std::string insertion;
  std::size_t insert_at = 0;
  if (item.in_flow_list) {
    // revisions: [{...}, {...}]: after the '}', on one line or one per line.
    insert_at = item.map.end;
    const std::size_t newline_before = text.rfind('\n', item.map.begin);
    const std::size_t begin = newline_before == std::string_view::npos ? 0 : newline_before + 1;
    const std::string_view before = text.substr(begin, item.map.begin - begin);
    const bool own_line = before.find_first_not_of(" \t") == std::string_view::npos;
    for (const auto& entry : added) {
      insertion +=
          own_line ? "," + eol + std::string(text.substr(begin, item.map.begin - begin)) : ", ";
      insertion += copy(entry);
    }
  } else {
    // A block list: whole lines after the entry's last line, written alike.
    insert_at = item.end;
    const bool no_last_newline = insert_at == text.size() && (text.empty() || text.back() != '\n');
    if (no_last_newline) {
      insertion += eol;
    }
    for (const auto& entry : added) {
      if (item.flow) {
        insertion +=
            std::string(text.substr(item.begin, item.map.begin - item.begin)) + copy(entry) + eol;
      } else {
        std::string lines = copy(entry);
        if (lines.empty() || lines.back() != '\n') {
          lines += eol;
        }
        insertion += lines;
      }
    }
    if (no_last_newline) {
      insertion.resize(insertion.size() - eol.size());  // the file still ends as it did
    }
  }
  std::string edited(text);
  edited.insert(insert_at, insertion);
  edited.replace(item.kind->begin, item.kind->end - item.kind->begin,
                 styled(text, *item.kind, kind));
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(anchor), '\n');
  verify(text, edited, display_path, index, kind, added, static_cast<std::size_t>(line));
  return edited;
}

}  // namespace runner::split
