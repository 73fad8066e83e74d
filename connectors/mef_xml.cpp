#include "connectors/mef_xml.hpp"

#include <algorithm>
#include <utility>

#include "connectors/name_parsing.hpp"
#include "connectors/tabular.hpp"
#include "connectors/xml_names.hpp"
#include "core/digest.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

std::string single_quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

/// Trimmed text of the first child (by any of `names`) of `parent`.
std::string child_text(const pugi::xml_node& parent, std::initializer_list<std::string_view> names) {
    return std::string(trim(text_of(child_named(parent, names))));
}

std::string descendant_text(const pugi::xml_node& parent, std::initializer_list<std::string_view> names) {
    return std::string(trim(text_of(descendant_named(parent, names))));
}

/// "JANE SMITH" -> first "Jane", last "Smith".
std::pair<std::string, std::string> split_full_name(std::string_view name) {
    const auto parts = split_client_name(name);
    if (!parts) return {};
    return {clean_person_name(parts->first_names), clean_person_name(parts->last_name)};
}

class ReturnConverter {
public:
    ReturnConverter(std::string_view bytes, const std::filesystem::path& file, const MefSettings& settings,
                    const TaxIdHasher& tax_ids)
        : bytes_(bytes), file_(file.string()), settings_(settings), tax_ids_(tax_ids) {
        result_.outcome.path = file;
    }

    ConvertedFile run() && {
        result_.outcome.content_hash = sha256_hex(bytes_);
        result_.outcome.encoding = "xml";
        pugi::xml_document document;
        const pugi::xml_parse_result parsed = document.load_buffer(bytes_.data(), bytes_.size());
        if (!parsed) {
            const auto at = static_cast<std::size_t>(std::max<std::ptrdiff_t>(parsed.offset, 0));
            // An error at the very end is a file cut short (still being written): read it again later.
            const bool cut_short = at + 1 >= bytes_.size() || parsed.status == pugi::status_end_element_mismatch;
            return failed_file(result_.outcome.path,
                               FileFault{line_at(at),
                                         std::string(cut_short ? "the XML ends early (still being written?): "
                                                               : "the file is not well-formed XML: ") +
                                             parsed.description(),
                                         !cut_short},
                               result_.outcome);
        }
        std::vector<pugi::xml_node> returns;
        for (pugi::xml_node node = descendant_named(document, {"Return"}); node;) {
            returns.push_back(node);
            node = next_return_after(node);
        }
        if (returns.empty()) {
            return failed_file(result_.outcome.path,
                               FileFault{1, "no <Return> element: this is not an IRS e-file return", true},
                               result_.outcome);
        }
        for (const pugi::xml_node& tax_return : returns) {
            ++result_.outcome.rows;
            convert_return(tax_return);
        }
        return std::move(result_);
    }

private:
    static pugi::xml_node next_return_after(const pugi::xml_node& node) {
        for (pugi::xml_node sibling = node.next_sibling(); sibling; sibling = sibling.next_sibling()) {
            if (local_name(sibling) == "Return") return sibling;
        }
        return {};
    }

    std::size_t line_at(std::size_t offset) const {
        const std::size_t end = std::min(offset, bytes_.size());
        return 1 + static_cast<std::size_t>(
                       std::count(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    }
    std::size_t line_of(const pugi::xml_node& node) const {
        const std::ptrdiff_t offset = node.offset_debug();
        return offset < 0 ? 0 : line_at(static_cast<std::size_t>(offset));
    }

    void report(std::size_t line, Severity severity, std::string_view reason) {
        result_.problems.push_back(Problem{file_, line, severity, mask_tax_ids(reason)});
    }

    std::optional<TaxIdFingerprint> tax_id(const std::string& raw, std::string_view what, std::size_t line) {
        if (raw.empty()) return std::nullopt;
        auto fingerprint = tax_ids_.fingerprint(raw);
        if (fingerprint.has_error()) {
            report(line, Severity::Warning, std::string(what) + " not used: " + fingerprint.error().message);
            return std::nullopt;
        }
        return std::move(fingerprint).value();
    }

    Person person(PersonRole role, std::string first, std::string last, const std::string& email, std::string phone,
                  std::optional<TaxIdFingerprint> id, std::size_t line) {
        Person out;
        out.role = role;
        // The first word is the first name; the rest of the IRS first-name field is middle names.
        const auto space = first.find(' ');
        out.first_name = clean_person_name(first.substr(0, space));
        if (space != std::string::npos) out.middle_name = clean_person_name(first.substr(space + 1));
        out.last_name = clean_person_name(last);
        out.phone = std::move(phone);
        out.tax_id = std::move(id);
        if (!assign_email(out, email)) {
            report(line, Severity::Warning, "invalid email " + single_quoted(email) + ": not invitable");
        }
        return out;
    }

    void convert_return(const pugi::xml_node& tax_return) {
        const pugi::xml_node header = child_named(tax_return, {"ReturnHeader"});
        const std::size_t line = line_of(tax_return);
        if (!header) {
            report(line, Severity::Error, "<Return> has no <ReturnHeader>; skipped");
            return;
        }
        const pugi::xml_node filer = child_named(header, {"Filer"});
        const pugi::xml_node data = child_named(tax_return, {"ReturnData"});
        TaxClient client;
        client.connector = settings_.connector;
        client.source = SourceRef{file_, line_of(filer ? filer : header)};
        client.tax_year = child_text(header, {"TaxYr", "TaxYear"});
        if (client.tax_year.empty()) client.tax_year = settings_.default_tax_year;
        client.return_type = child_text(header, {"ReturnTypeCd", "ReturnType"});
        client.preparer =
            descendant_text(child_named(header, {"PreparerPersonGrp", "Preparer", "PaidPreparerInformationGrp"}),
                            {"PreparerPersonNm", "PreparerPersonName", "PersonNm", "Name"});

        const std::string primary_ssn = child_text(filer, {"PrimarySSN", "SSN"});
        const std::string ein = child_text(filer, {"EIN"});
        std::optional<TaxIdFingerprint> key;
        if (!primary_ssn.empty()) {
            client.kind = EntityKind::Individual;
            key = tax_id(primary_ssn, "primary SSN", client.source.line);
            if (key) fill_individual(client, header, filer, data, *key);
        } else {
            client.kind = EntityKind::Business;
            key = tax_id(ein, "EIN", client.source.line);
            if (key) fill_business(client, header, filer, *key);
        }
        if (!key) {
            report(client.source.line, Severity::Error,
                   "the return has no usable PrimarySSN or EIN, so it cannot be keyed; skipped");
            return;
        }
        client.id = ClientId(client_id_from_tax_id(*key));
        if (std::any_of(result_.clients.begin(), result_.clients.end(),
                        [&](const TaxClient& other) { return other.id == client.id; })) {
            report(client.source.line, Severity::Error, "a second return for the same filer in this file; skipped");
            return;
        }
        result_.clients.push_back(std::move(client));
        ++result_.outcome.imported;
    }

    void fill_individual(TaxClient& client, const pugi::xml_node& header, const pugi::xml_node& filer,
                         const pugi::xml_node& data, const TaxIdFingerprint& primary_id) {
        const std::size_t line = client.source.line;
        const FilerNames names = parse_name_line(child_text(filer, {"NameLine1Txt", "NameLine1", "Name"}));
        const pugi::xml_node additional = child_named(header, {"AdditionalFilerInformation"});
        const std::string email = descendant_text(additional, {"EmailAddressTxt", "EmailAddress"});
        std::string phone = child_text(filer, {"PhoneNum", "Phone"});
        if (phone.empty()) phone = descendant_text(additional, {"CellPhoneNum", "CellPhone"});
        client.people.push_back(person(PersonRole::Taxpayer, names.first, names.last, email, phone, primary_id, line));

        const pugi::xml_node form = child_named(data, {"IRS1040", "IRS1040SR", "IRS1040NR"});
        const std::string status = child_text(form, {"IndividualReturnFilingStatusCd", "FilingStatus"});
        const std::string spouse_ssn = child_text(filer, {"SpouseSSN"});
        std::string spouse_first = names.spouse_first;
        std::string spouse_last = names.spouse_last;
        if (const std::string spouse_name = child_text(form, {"SpouseNm", "SpouseName"}); !spouse_name.empty()) {
            // The form's spouse name is whole; the name line may have been truncated to 35 characters.
            std::tie(spouse_first, spouse_last) = split_full_name(spouse_name);
            if (spouse_last.empty()) spouse_last = names.last;
        }
        // Married filing separately names the spouse's SSN, but the spouse is not on the return.
        const bool joint = status == "2" || (status.empty() && !spouse_first.empty());
        if (status == "2" && spouse_first.empty()) {
            report(line, Severity::Warning, "filing status is married filing jointly, but the return names no spouse");
        }
        if (joint && !spouse_first.empty()) {
            auto spouse_id = tax_id(spouse_ssn, "spouse SSN", line);
            if (spouse_id && spouse_id->keyed_hash == primary_id.keyed_hash) {
                report(line, Severity::Warning,
                       "PrimarySSN and SpouseSSN are the same number; the spouse's is not used");
                spouse_id.reset();
            }
            client.people.push_back(person(PersonRole::Spouse, spouse_first, spouse_last, "", "", spouse_id, line));
        }
        if (client.return_type.empty()) client.return_type = "1040";
    }

    void fill_business(TaxClient& client, const pugi::xml_node& header, const pugi::xml_node& filer,
                       const TaxIdFingerprint& ein) {
        const std::size_t line = client.source.line;
        const pugi::xml_node name = child_named(filer, {"BusinessName", "Name"});
        std::string business = child_text(name, {"BusinessNameLine1Txt", "BusinessNameLine1"});
        if (const std::string second = child_text(name, {"BusinessNameLine2Txt", "BusinessNameLine2"});
            !second.empty()) {
            business += " " + second;
        }
        client.business_name = collapse_whitespace(business);
        if (client.business_name.empty()) {
            report(line, Severity::Warning, "the business return has no BusinessNameLine1Txt");
        }
        client.entity_tax_id = ein;
        // The officer who signs is the business's contact person; the header has no officer email.
        const pugi::xml_node officer = child_named(header, {"BusinessOfficerGrp", "Officer"});
        if (const std::string officer_name = child_text(officer, {"PersonNm", "Name"}); !officer_name.empty()) {
            auto [first, last] = split_full_name(officer_name);
            client.people.push_back(person(PersonRole::Taxpayer, first, last,
                                           child_text(officer, {"EmailAddressTxt", "EmailAddress"}),
                                           child_text(officer, {"PhoneNum", "Phone"}), std::nullopt, line));
        }
    }

    std::string_view bytes_;
    std::string file_;
    const MefSettings& settings_;
    const TaxIdHasher& tax_ids_;
    ConvertedFile result_;
};

}  // namespace

FilerNames parse_name_line(std::string_view name_line) {
    FilerNames names;
    const std::string line = collapse_whitespace(name_line);
    if (line.find('<') == std::string::npos) {
        std::tie(names.first, names.last) = split_full_name(line);
        return names;
    }
    const std::vector<std::string> parts = split(line, '<');
    std::string first_names(trim(parts[0]));
    names.last = std::string(trim(parts.size() > 1 ? parts[1] : ""));
    for (std::size_t i = 2; i < parts.size(); ++i) {
        const std::string_view part = trim(parts[i]);
        if (part.starts_with('&')) {
            // "JOHN<DOE<& JANE SMITH": the spouse has a last name of their own.
            std::tie(names.spouse_first, names.spouse_last) = split_full_name(trim(part.substr(1)));
        } else if (!part.empty() && names.spouse_first.empty()) {
            names.last += " " + std::string(part);  // the suffix: "DOE JR"
        }
    }
    if (const auto joint = split_joint_first_names(first_names)) {
        first_names = joint->first;
        if (names.spouse_first.empty()) {
            names.spouse_first = joint->second;
            names.spouse_last = names.last;
        }
    }
    names.first = clean_person_name(first_names);
    names.last = clean_person_name(names.last);
    names.spouse_first = clean_person_name(names.spouse_first);
    names.spouse_last = clean_person_name(names.spouse_last);
    return names;
}

ConvertedFile convert_mef(std::string_view bytes, const std::filesystem::path& file, const MefSettings& settings,
                          const TaxIdHasher& tax_ids) {
    return ReturnConverter(bytes, file, settings, tax_ids).run();
}

Expected<std::unique_ptr<Connector>> make_mef_connector(const ConnectorSettings& settings,
                                                        const ConnectorServices& services) {
    MefSettings mef{settings.name, settings.default_tax_year};
    ConvertFile convert = [mef = std::move(mef), &tax_ids = services.tax_ids](
                              std::string_view bytes, const std::filesystem::path& file, const TakeClient& take) {
        // A return file holds a handful of returns: converted whole, then handed on one by one.
        ConvertedFile converted = convert_mef(bytes, file, mef, tax_ids);
        for (const TaxClient& client : converted.clients) take(client);
        converted.clients.clear();
        return converted;
    };
    return make_file_connector("mef-xml", settings, {"*.xml"}, std::move(convert), services);
}

}  // namespace taxsync::connectors
