#pragma once
// Revision ids: dotted groups of digits compared group by group, numerically,
// with no length limit. Never parsed into an integer type, since 20-digit
// timestamp ids exceed 64 bits. Leading zeros do not count: 0003 == 3.

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::project {

class RevisionId {
 public:
  RevisionId() = default;
  // The id, or nullopt when `text` is not dotted digit groups.
  static std::optional<RevisionId> parse(std::string_view text);
  // parse(text)->canonical() without building the id (no allocation for
  // the usual short ids): for indexing a thousand history records.
  static std::optional<std::string> canonical_of(std::string_view text);

  // As written in the manifest: "0003".
  const std::string& text() const { return m_text; }
  // Without leading zeros: "3", "3.1". Equal ids have equal canonical forms.
  const std::string& canonical() const { return m_canonical; }
  // The digit groups, leading zeros removed ("0" stays "0").
  const std::vector<std::string>& groups() const { return m_groups; }

  std::strong_ordering operator<=>(const RevisionId& other) const;
  bool operator==(const RevisionId& other) const { return m_canonical == other.m_canonical; }

 private:
  std::string m_text;
  std::string m_canonical;
  std::vector<std::string> m_groups;
};

// Adds one to a string of decimal digits, keeping its width when it can
// ("0009" -> "0010", "99" -> "100"): the next id after a first group.
std::string increment_digits(const std::string& digits);

}  // namespace runner::project
