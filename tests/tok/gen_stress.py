#!/usr/bin/env python3
"""Generate the tokenizer's Unicode stress corpus (seeded, deterministic).

    gen_stress.py [--seed 20240611] [--lines 24000] > stress.txt

One text a line (UTF-8; lines never contain '\\n' but may contain '\\r', NUL
and every other character). Each line mixes a few pieces drawn from the
categories below, so most lines exercise several rules at once; some lines
are a single category in its pure form (empty lines, only punctuation, words
around the 100-character limit, long lines that hit truncation, a few lines
over the 64 KiB chunk size)."""
import argparse
import random
import sys

# ---------------------------------------------------------------- pools
ASCII_WORDS = ('the a man woman is playing guitar dog running in park A Man The quick brown fox jumps over lazy '
               'DOG Hello World Tokenizer BERT unbelievable antidisestablishmentarianism hyphen-ated e-mail '
               "don't it's we're you've I'm O'Neill rock'n'roll 3.14 1,000,000 2nd 10th 50% $5 #hashtag "
               '@user http://example.com/path?q=1&x=2 C++ .NET __init__ snake_case camelCase XMLHttpRequest '
               'naïve café résumé jalapeño façade Zürich Ångström coöperate São Paulo Kraków Dvořák').split()
SPANISH = ('El niño está jugando con un perro pequeño. ¿Dónde está la estación? ¡Qué día tan bonito! '
           'Los pingüinos viven en la Antártida. Él comió paella, jamón y queso manchego.').split()
ACCENTED_UPPER = 'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞĀĂĄĆĈĊČĎĐĒĖĘĚĜĞĠĢĤĦĨĪĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ'
ACCENTED_LOWER = 'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿāăąćĉċčďđēėęěĝğġģĥħĩīįıĳĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżžß'
LATIN_EXT = 'ǅǆǄǈǋǲǱƀƁƂƃƄƅƆƇƈƉƊƋƌƍƎƏƐƑƒƓƔƕƖƗƘƙƚƛƜƝƞƟƠơƢƣƤƥƦƧƨƩƪƫƬƭƮƯưƱƲƳƴƵƶƷƸƹƺƻƼƽƾƿǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǤǥǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏẞḀḁḂḃḈḉẠạẤấỆệỲỳỸỹ'
COMBINING = [chr(c) for c in list(range(0x300, 0x370)) + list(range(0x483, 0x48A)) + list(range(0x591, 0x5BE)) +
             [0x5BF, 0x5C1, 0x5C2, 0x5C4, 0x5C5, 0x5C7] + list(range(0x610, 0x61B)) + list(range(0x64B, 0x660)) +
             [0x670] + list(range(0x6D6, 0x6DD)) + list(range(0x8D4, 0x8E2)) + list(range(0x8E3, 0x900)) +
             [0x93C, 0x94D, 0x951, 0x952, 0x9BC, 0x9CD, 0xE31, 0xE34, 0xE35, 0xE36, 0xE37, 0xE38, 0xE39, 0xE3A,
              0xE47, 0xE48, 0xE49, 0xE4A, 0xE4B, 0xE4C, 0xE4D, 0xE4E, 0xF71, 0xF72, 0xF74, 0xF7A, 0xF80,
              0x1AB0, 0x1AB5, 0x1ABE, 0x1DC0, 0x1DC4, 0x1DF5, 0x1DF6, 0x1DF9, 0x1DFB, 0x1DFE, 0x1DFF,
              0x20D0, 0x20D1, 0x20DD, 0x20E3, 0x20E8, 0x302A, 0x302B, 0x302E, 0x3099, 0x309A,
              0xFE20, 0xFE26, 0xFE2F, 0x1D165, 0x1D166, 0x1D167, 0x1D16D, 0x1D16E, 0x1D172, 0x1D17B,
              0x11442, 0x11446, 0x1E000, 0x1E8D0, 0x1E944, 0x1E94A, 0x16AF0, 0x1734, 0x1885, 0xA9BD, 0x111C9,
              0x0E3A, 0x0345, 0x0344, 0x0F73, 0x0F75, 0x0F81, 0x1B6B, 0xA8E0, 0x10A0D, 0x10A38, 0x10A3F]]
CASE_PAIRS = ('ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρσςτυφχψωΆΈΉΊΌΎΏάέήίόύώΪΫϊϋΐΰϐϑϒϕϖϗϘϙϴϵϷϸϹϺϻϽϾϿ'
              'ἀἁἂἃἄἅἆἇἈἉἊἋἌἍἎἏᾀᾁᾂᾈᾉᾊᾼᾳῼῳῌῃ'
              'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяЀЍЎЏѐѝўџѠѡѢѣѤѥҐґӀӁӂ'
              'ԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿաբգդեզէըթժիլխծկև'
              'ႠႡႢႣႤႥႦႧᲐᲑᲒᲓაბგდ'
              'ᎠᎡᎢᎣᎤᎥꭰꭱꭲꭳ'
              'ⰀⰁⰂⰰⰱⰲ'
              'ⅠⅡⅢⅣⅰⅱⅲⅳⓐⓑⒶⒷＡＢＣａｂｃ'
              'KΩÅ'                 # Kelvin, Ohm, Angstrom signs
              'İıſẞßﬀﬁﬂﬃﬄﬅﬆ'
              '\U00010400\U00010401\U00010428\U00010429\U000104B0\U000104D8'
              '\U00010C80\U00010CC0\U000118A0\U000118C0\U00016E40\U00016E60\U0001E900\U0001E922'
              '\U00010D50\U00010D51\U00010D70\U00016EA0\U00016EBB\u1C89\u1C8A\uA7CB\uA7CC\uA7CE\uA7D2\uA7D4\uA7DA\uA7DC')
CJK = ''.join(chr(c) for c in list(range(0x4E00, 0x4E40)) + list(range(0x6C00, 0x6C20)) + list(range(0x9FA0, 0x9FFF)) +
              list(range(0x3400, 0x3410)) + list(range(0xF900, 0xF910)) + list(range(0xFA00, 0xFA10)) +
              list(range(0x2F800, 0x2F808)) + list(range(0x2E80, 0x2E88)) + list(range(0x3190, 0x3198)))
CJK_B = ''.join(chr(c) for c in list(range(0x20000, 0x20020)) + list(range(0x2A6C0, 0x2A6E0)) +
                list(range(0x2A700, 0x2A708)) + list(range(0x2B730, 0x2B748)) + list(range(0x2B810, 0x2B828)) +
                list(range(0x2B920, 0x2B928)) + list(range(0x2CEA0, 0x2CEB8)) + list(range(0x30000, 0x30008)))
CHINESE_TEXT = ['我爱北京天安门。', '今天天气很好，我们去公园散步吧！', '机器学习是人工智能的一个分支', '中文分词（测试）',
                '東京は日本の首都です。', 'カタカナとひらがな、漢字が混ざっている文章', 'ｶﾀｶﾅ ﾊﾝｶｸ']
HANGUL = ['안녕하세요', '한국어 문장입니다.', '대한민국', 'ㄱㄴㄷㄹ ㅏㅑㅓㅕ', '\u1100\u1161\u11A8', '힣', '가각갂']
THAI = ['สวัสดีครับ', 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ', 'กรุงเทพมหานคร', '๑๒๓๔๕']
ARABIC = ['مرحبا بالعالم', 'اللُّغَةُ العَرَبِيَّةُ', 'كِتَابٌ', '٠١٢٣٤٥٦٧٨٩', 'سلام، دنیا؟', 'ﷺ ﷲ ﻻ']
HEBREW = ['שָׁלוֹם', 'עברית', 'בְּרֵאשִׁית']
DEVANAGARI = ['नमस्ते दुनिया', 'हिन्दी भाषा', 'क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़', 'ऩ ऱ ऴ', '०१२३४५', 'क्षत्रिय।']
OTHER_SCRIPTS = ['ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ', 'ትግርኛ', 'ქართული ენა', 'Հայերեն', 'ᠮᠣᠩᠭᠣᠯ', 'བོད་ཡིག', 'ខ្មែរ', 'ລາວ', 'မြန်မာ',
                 'ಕನ್ನಡ', 'தமிழ்', 'తెలుగు', 'മലയാളം', 'ગુજરાતી', 'ਪੰਜਾਬੀ', 'বাংলা', 'සිංහල', 'ᜱᜲᜳ᜴', '𐌰𐌱𐌲',
                 '𝔄𝔅ℭ 𝕬𝕭 𝒜ℬ 𝐀𝐁𝐂 𝟎𝟏𝟐', '\U0001D15E\U0001D15F\U0001D160\U0001D1BB\U0001D1BC']
EMOJI = ['😀', '😂', '🥰', '🫠', '👍', '👍🏻', '👍🏿', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🏴‍☠️', '❤️', '❤️‍🔥', '🇺🇸', '🇯🇵',
         '🇪🇸🇫🇷', '🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F', '1️⃣', '#️⃣', '*️⃣', '©️', '™',
         '🧑🏽‍🚀', '👁️‍🗨️', '🤷‍♀️', '🙋🏾‍♂️', '\U0001FAE8', '\U0001FA77', '🐈‍⬛', '☺', '✌🏼', '🀄', '🃏']
SPACES = ['\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008',
          '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000', '\t', '\r', '\x0b', '\x0c', '\x85',
          '\x1c', '\x1d', '\x1e', '\x1f', '  ', '\t\t', '\r\r', ' \u3000 ']
INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064',
             '\u2066', '\u2067', '\u2068', '\u2069', '\u202A', '\u202E', '\uFEFF', '\u00AD', '\u061C', '\u180E',
             '\u034F', '\uFE00', '\uFE0F', '\U000E0001', '\U000E0020', '\U000E0100', '\U000E01EF', '\uFFF9',
             '\uFFFB', '\uFFFC', '\uFFFD', '\uFFFE', '\uFFFF', '\U0001BCA0', '\U0001D173', '\x00', '\x01', '\x07',
             '\x08', '\x1b', '\x7f', '\x80', '\x9f', '\uE000', '\uF8FF', '\U000F0000', '\U0010FFFD', '\U0010FFFF',
             '\u0378', '\u0890', '\u08E2', '\U0001F8FF', '\U0002FFFF', '\U000D0000']
DIGITS = ['0123456789', '٠١٢٣٤٥٦٧٨٩', '۰۱۲۳۴۵۶۷۸۹', '०१२३४५६७८९', '০১২৩', '๐๑๒๓', '０１２３４５６７８９', '¹²³⁴⁵⁶',
          '₀₁₂₃', '½¼¾⅓⅛', 'ⅠⅡⅢⅣⅤ', '①②③⑩⑳', '𝟘𝟙𝟚', '12,345.67', '3.14159e-10', '+1-555-0100', '1st', 'v2.0.1']
ASCII_PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
UNI_PUNCT = ('¡¿«»‹›„“”‘’‚‛′″‴‵‶‷‸‐‑‒–—―‖‗†‡•‣․‥…‧‰‱※‼‽‾‿⁀⁁⁂⁃⁄⁅⁆⁇⁈⁉⁊⁋⁌⁍⁎⁏⁐⁑⁓⁔⁕⁖⁗⁘⁙⁚⁛⁜⁝⁞'
             '、。〃〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〽・｡｢｣､･！＂＃％＆＇（）＊，－．／：；？＠［＼］＿｛｝'
             '§¶·;·՚՛՜՝՞՟։֊־׀׃׆׳״؉؊،؍؛؞؟٪٫٬٭۔܀܁।॥॰෴๏๚๛༄༅།༎၊။჻፡።፣፤፥፦፧፨᙭᙮᛫᛬᛭᠀᠁᠂᠃᠄᠅᠆᠇᠈᠉᠊'
             '⸀⸁⸂⸃⸄⸅⸆⸎⸏⸐⸗⸚⸜⸝⸰⸱⸲⸺⸻⸼⹀⹂\u2E43\u2E44\u2E4F\u2E52\u2E5D'
             '\u061D\u09FD\u0A76\u0C77\u0C84\u1B7D\u1B7E\U0001144B\U0001145B\U00011660\U000119E2\U00011A3F'
             '\u166D\U000111C9'
             '$+<=>^`|~¢£¤¥¦¨©¬®¯°±´¸×÷˂˃˄˅˒˓˔˕˖˗˘˙˚˛˜˝˞˟©®™℠№℗←↑→↓↔⇒⇔∀∂∃∅∇∈∉∑−∓∗√∝∞∧∨∩∪∫≈≠≡≤≥⊂⊃⌘⌚⏎'
             '─│┌┐└┘├┤┬┴┼═║▀▄█░▒▓■□▪▫▲△▶►▼◆◇○●◎★☆☎☑☒☛☞♀♂♠♣♥♦♪♫✓✔✕✖✗✘')
SPECIALS = ['[CLS]', '[SEP]', '[UNK]', '[MASK]', '[PAD]', '[cls]', '[Sep]', '[CLS', 'CLS]', '[[SEP]]', '[SEP][SEP]',
            '[MASK]ed', 'un[UNK]known', '[unused0]', '[unused99]', '##', '##ing', '# #', '[ CLS ]', '[CLS][CLS]']


def rc(rng, s):
    return s[rng.randrange(len(s))]


def word_from(rng, alphabet, lo, hi):
    return ''.join(rc(rng, alphabet) for _ in range(rng.randint(lo, hi)))


def combining_run(rng):
    base = rc(rng, 'aeiouAEIOUnNcCsSzZxyqwαωиЖ가中' + ACCENTED_LOWER[:10])
    marks = ''.join(rc(rng, COMBINING) for _ in range(rng.randint(1, 6)))
    return base + marks


def random_scalar(rng):
    while True:
        r = rng.random()
        if r < 0.5:
            c = rng.randrange(0x80, 0x3000)
        elif r < 0.8:
            c = rng.randrange(0x3000, 0x10000)
        elif r < 0.95:
            c = rng.randrange(0x10000, 0x32000)
        else:
            c = rng.randrange(0xE0000, 0x110000)
        if not (0xD800 <= c < 0xE000):
            return chr(c)


def long_word(rng):
    n = rng.choice([98, 99, 100, 101, 102, 150, 250, 1000, rng.randint(90, 110)])
    kind = rng.randrange(6)
    if kind == 0:
        return word_from(rng, 'abcdefghijklmnopqrstuvwxyz', n, n)
    if kind == 1:
        return word_from(rng, 'abcdeéèêëñçøåæœ', n, n)
    if kind == 2:      # decomposes: the character count grows or stays after NFD + strip
        return word_from(rng, 'ÀÉÎÕÜǕǗǙǛḈẤỆ', n, n)
    if kind == 3:      # combining marks that survive stripping (Unicode 9.0+ marks) double the count
        return ''.join('a' + rc(rng, '\u08D4\u08D5\u1DFB\u1DF6') for _ in range(n // 2))
    if kind == 4:
        return word_from(rng, 'абвгдеёжзийклмнопрстуфхцчшщъыьэюя', n, n)
    return ('İ' * (n // 2)) + ('x' * (n - n // 2))


def piece(rng):
    k = rng.randrange(22)
    if k == 0:
        return ' '.join(rc(rng, ASCII_WORDS) for _ in range(rng.randint(1, 8)))
    if k == 1:
        return ' '.join(rc(rng, SPANISH) for _ in range(rng.randint(1, 8)))
    if k == 2:
        return word_from(rng, ACCENTED_UPPER + ACCENTED_LOWER + LATIN_EXT, 1, 12)
    if k == 3:
        return ' '.join(combining_run(rng) for _ in range(rng.randint(1, 4)))
    if k == 4:
        w = word_from(rng, CASE_PAIRS, 1, 10)
        return rng.choice([w, w.upper(), w.lower(), w.title(), w.swapcase()])
    if k == 5:
        return word_from(rng, CJK, 1, 12) if rng.random() < 0.5 else rc(rng, CHINESE_TEXT)
    if k == 6:
        return word_from(rng, CJK_B, 1, 6)
    if k == 7:
        return rc(rng, HANGUL)
    if k == 8:
        return rc(rng, THAI) + rc(rng, ['', ' ', '\u0E31\u0E48'])
    if k == 9:
        return rc(rng, ARABIC + HEBREW)
    if k == 10:
        return rc(rng, DEVANAGARI)
    if k == 11:
        return rc(rng, OTHER_SCRIPTS)
    if k == 12:
        return ''.join(rc(rng, EMOJI) for _ in range(rng.randint(1, 4)))
    if k == 13:
        return rc(rng, SPACES)
    if k == 14:
        w = rc(rng, ASCII_WORDS)
        i = rng.randint(0, len(w))
        return w[:i] + rc(rng, INVISIBLE) + w[i:]
    if k == 15:
        return rc(rng, DIGITS)
    if k == 16:
        return word_from(rng, ASCII_PUNCT + UNI_PUNCT, 1, 6)
    if k == 17:
        return rc(rng, SPECIALS)
    if k == 18:
        return ''.join(random_scalar(rng) for _ in range(rng.randint(1, 5)))
    if k == 19:
        return rc(rng, ['Cyrillic Кириллица', 'Ελληνικά ΟΔΥΣΣΕΥΣ ὀδυσσεύς', 'Türkçe İSTANBUL ıi',
                        'Straße STRASSE ẞ', 'Ǆǅǆ Ǳǲǳ', 'ΣΊΣΥΦΟΣ σίσυφος', 'Ŀl ŉ ǰ'])
    if k == 20:
        return '\uFEFF' + rc(rng, ASCII_WORDS)
    return rc(rng, ASCII_WORDS) + '\u00AD' + rc(rng, ASCII_WORDS)


def mixed_line(rng):
    parts = [piece(rng) for _ in range(rng.randint(1, 7))]
    seps = [' ', ' ', ' ', '', '\t', '\u3000', '\u00A0', '-', ',', '. ']
    out = parts[0]
    for p in parts[1:]:
        out += rc(rng, seps) + p
    return out


def line(rng, i):
    r = rng.random()
    if r < 0.03:
        return ''
    if r < 0.06:
        return word_from(rng, ASCII_PUNCT, 1, 40)
    if r < 0.09:
        return word_from(rng, ASCII_PUNCT + UNI_PUNCT, 1, 40)
    if r < 0.13:
        return ' '.join(long_word(rng) for _ in range(rng.randint(1, 3)))
    if r < 0.15:    # longer than 256 tokens: truncation
        return ' '.join(piece(rng) for _ in range(rng.randint(60, 200)))
    if r < 0.17:
        return ''.join(combining_run(rng) for _ in range(rng.randint(1, 30)))
    if r < 0.19:
        return ''.join(random_scalar(rng) for _ in range(rng.randint(1, 60)))
    if r < 0.20:
        return rc(rng, SPACES) * rng.randint(1, 5)
    if r < 0.21:
        return rc(rng, INVISIBLE) * rng.randint(1, 5)
    return mixed_line(rng)


BAD_BYTES = [b'\xff', b'\xfe', b'\x80', b'\xbf', b'\xc0\xaf', b'\xc1\xbf', b'\xc3', b'\xc3(', b'\xe2\x82',
             b'\xe2\x28\xa1', b'\xed\xa0\x80', b'\xed\xbf\xbf', b'\xf0\x8f\xbf\xbf', b'\xf4\x90\x80\x80',
             b'\xf5\x80\x80\x80', b'\xf0\x9f\x98', b'\xf0\x9f', b'\xe0\x80\x80', b'\xe0\x9f\xbf',
             b'\xf8\x88\x80\x80\x80', b'\xc2\xc2\xa0', b'\x80\x80\x80', b'\xef\xbb', b'\xef\xbf\xbd']


def invalid_corpus(a):
    rng = random.Random(a.seed + 7)
    out = []
    for i in range(a.lines):
        b = line(rng, i).replace('\n', ' ').encode('utf-8')
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 4)):
                k = rng.randint(0, len(b))
                b = b[:k] + rc(rng, BAD_BYTES) + b[k:]
        out.append(b)
    sys.stdout.buffer.write(b'\n'.join(out) + b'\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=20240611)
    ap.add_argument('--lines', type=int, default=24000)
    ap.add_argument('--invalid', action='store_true',
                    help='insert invalid UTF-8 (for --on-invalid replace) into half the lines')
    a = ap.parse_args()
    if a.invalid:
        invalid_corpus(a)
        return
    rng = random.Random(a.seed)
    out = []
    for i in range(a.lines):
        s = line(rng, i)
        out.append(s.replace('\n', ' '))
    # a few lines over the 64 KiB chunk: ordinary text, one giant word, CJK
    big_rng = random.Random(a.seed + 1)
    out.append(' '.join(rc(big_rng, ASCII_WORDS + SPANISH) for _ in range(14000)))
    out.append('x' * 70000 + ' tail words here')
    out.append(''.join(rc(big_rng, CJK) for _ in range(25000)))
    out.append(('e\u0301\u0316' * 15000) + ' end')
    data = '\n'.join(out) + '\n'
    sys.stdout.buffer.write(data.encode('utf-8', 'surrogatepass'))


if __name__ == '__main__':
    main()
