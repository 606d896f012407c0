# Copyright (c) 2026, UNIL
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to the unil.backup collection: not a public API, may change without notice.
#
# Regular expressions in the dialect of the Comet Backup client. The client is a Go program: an exclusion regex is
# compiled by Go's regexp package (RE2 syntax, regexp/syntax.Parse with the Perl flags), so a regex Python's "re"
# accepts may never apply (lookarounds, backreferences, a{1001}, \Z, possessive repeats) and one Python refuses may be
# valid (a "(?i)" in the middle, \z). re2_problem() follows Go's parser (regexp/syntax/parse.go) rule by rule:
#
#   * flags (?i) (?m) (?s) (?U), with "-" to clear, anywhere, and (?flags:re); "(?)" is accepted as Go does;
#   * groups (re), (?:re), (?P<name>re) and (?<name>re) (Go 1.22+), names [A-Za-z0-9_]+; any other "(?" is refused
#     (lookahead, lookbehind, atomic group, conditional, (?P=name), comments, inline "x" flag...);
#   * repetitions * + ? {n} {n,} {n,m}, each optionally followed by "?" (lazy); counts at most 1000, nested counts
#     at most 1000 copies in all (Go's repeatIsValid); a repetition of a repetition (a**, a*+, a++, a{2}*) refused;
#     a "{" that is not a valid count is a literal (a{,5}, a{x});
#   * escapes: \a \f \t \n \r \v, octal \0 \012 \123 (a single \1 to \9 is a backreference: refused), \xHH and
#     \x{10FFFF}, \d \s \w \D \S \W, \pL \p{Greek} \p{^Greek} \PL (names of Go's unicode tables), and escaped ASCII
#     punctuation; outside a class also \A \z \b \B and \Q...\E; everything else is refused (\Z, \C, \G, \k<n>, \e,
#     \h, \R, \X, \u0041, \8, an escaped letter or digit or non-ASCII character, a trailing backslash);
#   * classes [...] and [^...], "]" first is literal, "-" anywhere (ranges lo <= hi), [:alpha:] and [:^alpha:] POSIX
#     names, \d \pL... inside; a missing "]" refused;
#   * parentheses balanced; a repetition with nothing to repeat refused; nesting at most 1000 deep; the compiled
#     program at most Go's limit (about 3.3 million instructions).
# Patterns are Python str: a lone surrogate (not valid UTF-8) is refused.

from __future__ import annotations

MAX_REPEAT = 1000
MAX_HEIGHT = 1000
MAX_SIZE = (128 << 20) // 40

_FLAGS = "imsU"
_POSIX = ("alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
          "word", "xdigit")
_PERL = "dDsSwW"
# Go's unicode.Categories (there is no "Cn" nor "LC") and unicode.Scripts, plus "Any".
_CATEGORIES = frozenset("C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So "
                        "Z Zl Zp Zs".split())
_SCRIPTS = frozenset("""
Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo
Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common
Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs
Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul
Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian
Javanese Kaithi Kannada Kawi Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha
Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi
Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar
Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian
Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage
Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra
Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog
Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic
Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square
""".split())

# "(?" constructs other regex dialects have and RE2 has not, for a clearer message than "unsupported Perl syntax".
_UNSUPPORTED_GROUPS = (
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?>", "atomic group (?>...)"),
    ("(?P=", "backreference (?P=name)"),
    ("(?P>", "subroutine call (?P>name)"),
    ("(?(", "conditional (?(...)...)"),
    ("(?#", "comment (?#...)"),
    ("(?|", "branch reset (?|...)"),
    ("(?R", "recursion (?R)"),
    ("(?&", "subroutine call (?&name)"),
    ("(?'", "named group (?'name'...) (use (?P<name>...))"),
)
_UNSUPPORTED_ESCAPES = {
    "Z": "\\Z (use \\z for the end of the text)",
    "C": "\\C (any byte)",
    "G": "\\G",
    "k": "backreference \\k<name>",
    "g": "backreference \\g",
    "K": "\\K",
    "R": "\\R",
    "X": "\\X",
    "h": "\\h",
    "H": "\\H",
    "e": "\\e (use \\x1b)",
    "u": "\\u (use \\x{...})",
    "U": "\\U (use \\x{...})",
    "N": "\\N",
    "l": "\\l",
    "L": "\\L",
    "E": "\\E without \\Q",
}

DIALECT = "RE2 (the Go regular expressions of the Comet client)"


class _Problem(Exception):
    pass


class _Node(object):
    """A parse tree node: op is lit, class, empty, cap, star, plus, quest, repeat, concat, alt, or a pseudo-op "(" / "|"
    on the stack."""

    __slots__ = ("op", "subs", "min", "max", "size")

    def __init__(self, op, subs=(), min_=0, max_=0, size=1):
        self.op, self.subs, self.min, self.max, self.size = op, list(subs), min_, max_, size


def _is_pseudo(node):
    return node.op in ("(", "|")


def _repeat_is_valid(node, n):
    """Go's repeatIsValid: a repetition and the repetitions inside it make at most n copies of the innermost thing."""
    if node.op == "repeat":
        m = node.max
        if m == 0:
            return True
        if m < 0:
            m = node.min
        if m > n:
            return False
        if m > 0:
            n //= m
    return all(_repeat_is_valid(sub, n) for sub in node.subs)


def _calc_size(node):
    """Go's calcSize: the size of the compiled program, in instructions."""
    op = node.op
    if op == "lit":
        size = node.size
    elif op in ("cap", "star"):
        size = 2 + _calc_size(node.subs[0])
    elif op in ("plus", "quest"):
        size = 1 + _calc_size(node.subs[0])
    elif op == "concat":
        size = sum(_calc_size(s) for s in node.subs)
    elif op == "alt":
        size = sum(_calc_size(s) for s in node.subs) + max(0, len(node.subs) - 1)
    elif op == "repeat":
        sub = _calc_size(node.subs[0])
        if node.max == -1:
            size = 2 + sub if node.min == 0 else 1 + node.min * sub
        else:
            size = node.max * sub + (node.max - node.min)
    else:
        size = 0
    return max(1, size)


def _height(node):
    height = 1
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        height = max(height, depth)
        stack.extend((sub, depth + 1) for sub in current.subs)
    return height


def _is_alnum(char):
    return "0" <= char <= "9" or "A" <= char <= "Z" or "a" <= char <= "z"


def _unhex(char):
    return int(char, 16) if char and char in "0123456789abcdefABCDEF" else -1


class _Parser(object):
    def __init__(self, pattern):
        self.s = pattern
        self.stack = []

    # ----------------------------------------------------------------------------------------------- the stack

    def push(self, node):
        self.stack.append(node)

    def concat(self):
        i = len(self.stack)
        while i > 0 and not _is_pseudo(self.stack[i - 1]):
            i -= 1
        subs = self.stack[i:]
        del self.stack[i:]
        self.stack.append(subs[0] if len(subs) == 1 else _Node("concat", subs) if subs else _Node("empty"))

    def alternate(self):
        # [... "(" , alt1, "|", alt2, "|", ..., altN] -> [... "(", alt]
        i = len(self.stack)
        while i > 0 and self.stack[i - 1].op != "(":
            i -= 1
        subs = [n for n in self.stack[i:] if n.op != "|"]
        del self.stack[i:]
        self.stack.append(subs[0] if len(subs) == 1 else _Node("alt", subs) if subs else _Node("empty"))

    def vertical_bar(self):
        self.concat()
        self.push(_Node("|"))

    def right_paren(self):
        self.concat()
        self.alternate()
        if len(self.stack) < 2 or self.stack[-2].op != "(":
            raise _Problem("unexpected ) (no group to close)")
        body = self.stack.pop()
        self.stack.pop()
        self.push(_Node("cap", [body]))

    def repeat(self, op, min_, max_, text, last_repeat):
        if last_repeat:
            raise _Problem("invalid nested repetition operator %s%s (possessive and doubled repetitions such as "
                           "a*+, a++, a** are not supported)" % (last_repeat, text))
        if not self.stack or _is_pseudo(self.stack[-1]):
            raise _Problem("missing argument to repetition operator %s (nothing to repeat)" % text)
        node = _Node(op, [self.stack.pop()], min_, max_)
        self.push(node)
        if op == "repeat" and (min_ >= 2 or max_ >= 2) and not _repeat_is_valid(node, MAX_REPEAT):
            raise _Problem("invalid repeat count %s: nested repetitions make more than %d copies" % (text, MAX_REPEAT))

    # ---------------------------------------------------------------------------------------------- the syntax

    def parse(self):
        s = self.s
        i = 0
        last_repeat = ""
        while i < len(s):
            char = s[i]
            repeat = ""
            if char == "(":
                if s.startswith("(?", i):
                    i = self.perl_flags(i)
                else:
                    self.push(_Node("("))
                    i += 1
            elif char == "|":
                self.vertical_bar()
                i += 1
            elif char == ")":
                self.right_paren()
                i += 1
            elif char == "[":
                i = self.char_class(i)
            elif char in "*+?":
                op = {"*": "star", "+": "plus", "?": "quest"}[char]
                end = i + 1
                if s[end:end + 1] == "?":
                    end += 1
                self.repeat(op, 0, 0, s[i:end], last_repeat)
                repeat = s[i:end]
                i = end
            elif char == "{":
                parsed = self.parse_repeat(i)
                if parsed is None:
                    self.push(_Node("lit"))
                    i += 1
                else:
                    min_, max_, end = parsed
                    text = s[i:end]
                    if min_ < 0 or min_ > MAX_REPEAT or max_ > MAX_REPEAT or (max_ >= 0 and min_ > max_):
                        raise _Problem("invalid repeat count %s (counts are at most %d, and the minimum at most the "
                                       "maximum)" % (text, MAX_REPEAT))
                    if s[end:end + 1] == "?":
                        end += 1
                    self.repeat("repeat", min_, max_, s[i:end], last_repeat)
                    repeat = s[i:end]
                    i = end
            elif char == "\\":
                i = self.escape_outside(i)
            else:
                self.push(_Node("lit"))  # ^ $ . and literals: a single instruction each
                i += 1
            last_repeat = repeat
        self.concat()
        self.alternate()
        if len(self.stack) != 1:
            raise _Problem("missing closing ) (%d group%s not closed)" % (
                sum(1 for n in self.stack if n.op == "("), "" if sum(1 for n in self.stack if n.op == "(") == 1 else "s"))
        tree = self.stack[0]
        if _height(tree) > MAX_HEIGHT:
            raise _Problem("expression nests too deeply (more than %d levels)" % MAX_HEIGHT)
        if _calc_size(tree) > MAX_SIZE:
            raise _Problem("expression too large (its compiled program would exceed Go's limit)")

    def parse_int(self, i):
        """(value or -1 when too large, end) of the decimal number at i, or None. Leading zeros are refused (Go)."""
        s = self.s
        j = i
        while j < len(s) and "0" <= s[j] <= "9":
            j += 1
        if j == i or (j - i >= 2 and s[i] == "0"):
            return None
        digits = s[i:j]
        return (int(digits) if len(digits) <= 8 else -1), j

    def parse_repeat(self, i):
        """(min, max, end) for {n}, {n,} (max -1), {n,m} at i, or None when it is not a repetition (a literal {)."""
        s = self.s
        first = self.parse_int(i + 1)
        if first is None:
            return None
        min_, j = first
        if j >= len(s):
            return None
        if s[j] != ",":
            max_ = min_
        else:
            j += 1
            if j >= len(s):
                return None
            if s[j] == "}":
                max_ = -1
            else:
                second = self.parse_int(j)
                if second is None:
                    return None
                max_, j = second
                if max_ < 0:
                    min_ = -1
        if j >= len(s) or s[j] != "}":
            return None
        return min_, max_, j + 1

    def perl_flags(self, i):
        s = self.s
        for prefix, what in _UNSUPPORTED_GROUPS:
            if s.startswith(prefix, i):
                raise _Problem("%s is not supported" % what)
        starts_p = s.startswith("(?P<", i)
        starts_name = s.startswith("(?<", i)
        if starts_p or starts_name:
            start = i + (4 if starts_p else 3)
            end = s.find(">", start)
            if end < 0:
                raise _Problem("invalid named capture %s (no closing >)" % s[i:i + 20])
            name = s[start:end]
            if not name or not all(c == "_" or _is_alnum(c) for c in name):
                raise _Problem("invalid named capture %s (a name is letters, digits and _)" % s[i:end + 1])
            self.push(_Node("("))
            return end + 1
        j = i + 2
        sign = 1
        saw_flag = False
        while j < len(s):
            char = s[j]
            j += 1
            if char in _FLAGS:
                saw_flag = True
            elif char == "-":
                if sign < 0:
                    break
                sign = -1
                saw_flag = False
            elif char in ":)":
                if sign < 0 and not saw_flag:
                    break
                if char == ":":
                    self.push(_Node("("))
                return j
            else:
                if char == "x" or char in "nJXub":
                    raise _Problem("flag %r in %s is not supported (RE2 flags are i, m, s, U)" % (char, s[i:j]))
                break
        raise _Problem("invalid or unsupported Perl syntax %s" % s[i:j])

    def unicode_class(self, i):
        """End of \\pX / \\p{Name} / \\P... at i (s[i] is the backslash)."""
        s = self.s
        if i + 2 >= len(s):
            raise _Problem("invalid character class range %s (a Unicode class needs a name)" % s[i:])
        if s[i + 2] != "{":
            name, end = s[i + 2], i + 3
        else:
            close = s.find("}", i)
            if close < 0:
                raise _Problem("invalid character class range %s (no closing })" % s[i:i + 20])
            name, end = s[i + 3:close], close + 1
        if name.startswith("^"):
            name = name[1:]
        if name != "Any" and name not in _CATEGORIES and name not in _SCRIPTS:
            raise _Problem("invalid character class range %s (unknown Unicode category or script %r)" % (s[i:end], name))
        return end

    def escape(self, i):
        """End of an ordinary escape at i (Go's parseEscape), raising _Problem for what Go refuses."""
        s = self.s
        if i + 1 >= len(s):
            raise _Problem("trailing backslash at end of expression")
        char = s[i + 1]
        j = i + 2
        if "1" <= char <= "7":
            if j >= len(s) or not "0" <= s[j] <= "7":
                raise _Problem("backreference \\%s is not supported" % char)
            char = "0"
        if char == "0":
            for dummy in range(2):
                if j < len(s) and "0" <= s[j] <= "7":
                    j += 1
            return j
        if char in "89":
            raise _Problem("backreference \\%s is not supported" % char)
        if char == "x":
            if j >= len(s):
                raise _Problem("invalid escape sequence \\x")
            if s[j] == "{":
                close = s.find("}", j)
                digits = s[j + 1:close] if close > 0 else ""
                if close < 0 or not digits or any(_unhex(c) < 0 for c in digits) or int(digits, 16) > 0x10FFFF:
                    raise _Problem("invalid escape sequence %s (\\x{...} takes 1 or more hex digits up to 10FFFF)"
                                   % s[i:(close + 1 if close > 0 else j + 1)])
                return close + 1
            if _unhex(s[j]) < 0 or _unhex(s[j + 1:j + 2]) < 0:
                raise _Problem("invalid escape sequence %s (\\x takes two hex digits or {...})" % s[i:j + 2])
            return j + 2
        if char in "afnrtv":
            return j
        if char < "\x80" and not _is_alnum(char):
            return j
        if char in _UNSUPPORTED_ESCAPES:
            raise _Problem("%s is not supported" % _UNSUPPORTED_ESCAPES[char])
        raise _Problem("invalid escape sequence \\%s" % char)

    def escape_outside(self, i):
        s = self.s
        nxt = s[i + 1:i + 2]
        if nxt in ("A", "b", "B", "z"):
            self.push(_Node("empty"))
            return i + 2
        if nxt == "Q":
            end = s.find("\\E", i + 2)
            literal = s[i + 2:] if end < 0 else s[i + 2:end]
            for dummy in literal:
                self.push(_Node("lit"))
            return len(s) if end < 0 else end + 2
        if nxt in ("p", "P"):
            end = self.unicode_class(i)
            self.push(_Node("class"))
            return end
        if nxt and nxt in _PERL:
            self.push(_Node("class"))
            return i + 2
        end = self.escape(i)
        self.push(_Node("lit"))
        return end

    def class_char(self, i, start):
        """(code point, end) of a class character at i."""
        s = self.s
        if i >= len(s):
            raise _Problem("missing closing ] in %s" % s[start:start + 40])
        if s[i] == "\\":
            end = self.escape(i)
            return _escape_value(s[i:end]), end
        return ord(s[i]), i + 1

    def char_class(self, start):
        s = self.s
        i = start + 1
        if s[i:i + 1] == "^":
            i += 1
        first = True
        while i >= len(s) or s[i] != "]" or first:
            if i >= len(s):
                raise _Problem("missing closing ] in %s" % s[start:start + 40])
            first = False
            if s.startswith("[:", i) and len(s) > i + 2:
                close = s.find(":]", i + 2)
                if close >= 0:
                    name = s[i + 2:close]
                    if (name[1:] if name.startswith("^") else name) not in _POSIX:
                        raise _Problem("invalid character class range %s (unknown POSIX class)" % s[i:close + 2])
                    i = close + 2
                    continue
            if s.startswith("\\p", i) or s.startswith("\\P", i):
                i = self.unicode_class(i)
                continue
            if s[i] == "\\" and s[i + 1:i + 2] and s[i + 1] in _PERL:
                i += 2
                continue
            low_start = i
            low, i = self.class_char(i, start)
            if i + 1 < len(s) and s[i] == "-" and s[i + 1] != "]":
                high, i = self.class_char(i + 1, start)
                if high < low:
                    raise _Problem("invalid character class range %s (the start is after the end)" % s[low_start:i])
        self.push(_Node("class"))
        return i + 1


def _escape_value(text):
    """The code point of an escape Go's parseEscape accepted (text starts with a backslash)."""
    char = text[1]
    if char == "0" or "1" <= char <= "7":
        return int(text[1:], 8)
    if char == "x":
        return int(text[3:-1] if text[2] == "{" else text[2:4], 16)
    simple = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
    return simple.get(char, ord(char))


def re2_problem(pattern):
    """'' when Go's regexp package (RE2 syntax) accepts ``pattern``, else a message saying what it refuses."""
    if not isinstance(pattern, str):
        return "not a string"
    if any("\ud800" <= c <= "\udfff" for c in pattern):
        return "invalid UTF-8 (a lone surrogate)"
    try:
        _Parser(pattern).parse()
    except _Problem as exc:
        return str(exc)
    except RecursionError:  # pragma: no cover - the parser is iterative; defensive
        return "expression nests too deeply"
    return ""
