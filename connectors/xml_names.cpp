#include "connectors/xml_names.hpp"

namespace taxsync::connectors {
namespace {

std::string_view without_prefix(std::string_view name) {
    const auto colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

}  // namespace

std::string_view local_name(const pugi::xml_node& node) { return without_prefix(node.name()); }

pugi::xml_node child_named(const pugi::xml_node& parent, std::initializer_list<std::string_view> names) {
    for (const std::string_view name : names) {
        for (const pugi::xml_node child : parent.children()) {
            if (child.type() == pugi::node_element && local_name(child) == name) return child;
        }
    }
    return {};
}

pugi::xml_node descendant_named(const pugi::xml_node& parent, std::initializer_list<std::string_view> names) {
    for (const std::string_view name : names) {
        const pugi::xml_node found = parent.find_node([name](const pugi::xml_node& node) {
            return node.type() == pugi::node_element && local_name(node) == name;
        });
        if (found) return found;
    }
    return {};
}

pugi::xml_attribute attribute_named(const pugi::xml_node& node, std::string_view name) {
    for (const pugi::xml_attribute attribute : node.attributes()) {
        if (without_prefix(attribute.name()) == name) return attribute;
    }
    return {};
}

std::string text_of(const pugi::xml_node& node) {
    std::string text;
    // Iterative walk: a hostile file's nesting depth must not become recursion depth.
    for (pugi::xml_node current = node.first_child(); current;) {
        if (current.type() == pugi::node_pcdata || current.type() == pugi::node_cdata) text += current.value();
        if (current.first_child()) {
            current = current.first_child();
            continue;
        }
        while (current && current != node && !current.next_sibling()) current = current.parent();
        if (!current || current == node) break;
        current = current.next_sibling();
    }
    return text;
}

}  // namespace taxsync::connectors
