#include "bench/export_generator.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace taxsync::bench {
namespace {

constexpr std::array<std::string_view, 16> kFirst = {"Thomas", "Linda",  "Marcus", "Elena",  "Kevin", "Rachel",
                                                     "Harold", "Gloria", "Olivia", "Samuel", "Ana",   "Priya",
                                                     "James",  "Nora",   "Walter", "Grace"};
constexpr std::array<std::string_view, 16> kLast = {"Berg",    "Whitfield", "Dunn",     "Finch", "Mendes",   "Chen",
                                                    "Ortiz",   "Raman",     "O'Connor", "Kim",   "Kowalski", "Greene",
                                                    "Fuentes", "Liu",       "Adeyemi",  "Vance"};
constexpr std::array<std::string_view, 4> kBusiness = {"Bakery Inc.", "Surveying LLC", "Partners", "Family Trust"};
constexpr std::array<char, 4> kBusinessSuffix = {'C', 'S', 'P', 'F'};

/// A small fixed-seed generator: the same file for the same row count on every machine.
class Random {
public:
    std::size_t next(std::size_t bound) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return static_cast<std::size_t>(state_ % bound);
    }

private:
    unsigned long long state_ = 0x9E3779B97F4A7C15ULL;
};

std::string ssn(std::size_t n) {
    char text[16];
    std::snprintf(text, sizeof text, "9%02zu-%02zu-%04zu", (n / 1000000) % 100, (n / 10000) % 100, n % 10000);
    return text;
}

std::string lower(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c != '\'') out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    return out;
}

}  // namespace

std::size_t generate_lacerte_export(const std::filesystem::path& file, std::size_t rows) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + file.string());
    out << "Client Number,Taxpayer First Name,Taxpayer Last Name,Taxpayer SSN,Taxpayer Email,Spouse First Name,"
           "Spouse Last Name,Spouse SSN,Spouse Email,Business Name,Return Status,Preparer,Office,Tax Year\r\n";
    Random random;
    std::string line;
    for (std::size_t i = 0; i < rows; ++i) {
        line.clear();
        const std::string_view first = kFirst[random.next(kFirst.size())];
        const std::string_view last = kLast[random.next(kLast.size())];
        const std::string number = std::to_string(100000 + i);
        if (random.next(10) == 0) {  // a business, with its owner as the contact
            const std::size_t kind = random.next(kBusiness.size());
            line.append(number).push_back(kBusinessSuffix[kind]);
            line.append(",").append(first).append(",").append(last).append(",,");
            line.append(lower(first)).append(".").append(lower(last)).append(std::to_string(i)).append("@example.com");
            line.append(",,,,,\"").append(last).append(" ").append(kBusiness[kind]).append("\"");
        } else {
            line.append(number).append("I,").append(first).append(",").append(last).append(",").append(ssn(2 * i));
            line.append(",").append(lower(first)).append(std::to_string(i)).append("@example.com,");
            if (random.next(10) < 6) {  // married filing jointly
                const std::string_view spouse = kFirst[random.next(kFirst.size())];
                line.append(spouse).append(",").append(last).append(",").append(ssn(2 * i + 1)).append(",");
                line.append(lower(spouse)).append(std::to_string(i)).append("@example.org");
            } else {
                line.append(",,,");
            }
            line.append(",");
        }
        line.append(",\"In Progress, review\",K. Osei,Springfield,2025\r\n");
        out << line;
    }
    out.flush();
    if (!out) throw std::runtime_error("writing " + file.string() + " failed");
    return static_cast<std::size_t>(out.tellp());
}

}  // namespace taxsync::bench
