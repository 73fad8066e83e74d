#pragma once
// XML from other programs uses whatever namespace prefixes it likes ("x:row", "efile:Filer"), so
// elements are found by their local name, never by prefix.

#include <initializer_list>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace taxsync::connectors {

/// "efile:PrimarySSN" -> "PrimarySSN".
std::string_view local_name(const pugi::xml_node& node);

/// The first child element whose local name is one of `names` (tried in order).
pugi::xml_node child_named(const pugi::xml_node& parent, std::initializer_list<std::string_view> names);

/// The first element below `parent` (depth first, any depth) whose local name is one of `names`,
/// tried in order: every name is looked for before the next is tried.
pugi::xml_node descendant_named(const pugi::xml_node& parent, std::initializer_list<std::string_view> names);

/// The attribute whose local name is `name`.
pugi::xml_attribute attribute_named(const pugi::xml_node& node, std::string_view name);

/// All text below `node`, concatenated (an element holding text runs).
std::string text_of(const pugi::xml_node& node);

}  // namespace taxsync::connectors
