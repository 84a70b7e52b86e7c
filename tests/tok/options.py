#!/usr/bin/env python3
"""Write option variants of a tokenizer.json -- the WordPiece model, added
tokens, pre-tokenizer, post-processor and decoder options a real
tokenizer.json may carry and the shipped one does not -- for differential
runs against Hugging Face tokenizers (tests/tokenizer_options.test).

    options.py SRC/tokenizer.json OUTDIR
        -> OUTDIR/NAME/tokenizer.json for every variant, OUTDIR/texts.txt
           (texts that reach each option), prints the variant names

Each variant is a valid tokenizer.json that HF loads; batchml must give the
same ids, tokens and offsets, or refuse the file naming the option."""
import json
import os
import sys


def variants(base):
    vocab = base['model']['vocab']
    out = {}

    def v(name, fn):
        tj = json.loads(json.dumps(base))
        fn(tj)
        out[name] = tj

    # --- WordPiece model ---------------------------------------------------
    def prefix(p):
        def f(tj):
            nv = {}
            for k, i in tj['model']['vocab'].items():
                nk = p + k[2:] if k.startswith('##') else k
                if nk in nv:       # an empty prefix can collide: keep the word piece
                    continue
                nv[nk] = i
            tj['model']['vocab'] = nv
            tj['model']['continuing_subword_prefix'] = p
            if tj.get('decoder'):
                tj['decoder']['prefix'] = p
        return f
    v('prefix_at', prefix('@@'))
    v('prefix_empty', prefix(''))
    v('prefix_long', prefix('<cont>'))
    v('max_chars_5', lambda tj: tj['model'].update(max_input_chars_per_word=5))
    v('max_chars_1', lambda tj: tj['model'].update(max_input_chars_per_word=1))

    def unk_other(tj):
        tj['model']['unk_token'] = '[unused5]'
    v('unk_other', unk_other)

    # --- added tokens ------------------------------------------------------
    def added(extra):
        def f(tj):
            for a in extra:
                tj['added_tokens'].append(dict({'single_word': False, 'lstrip': False, 'rstrip': False,
                                                'normalized': False, 'special': False}, **a))
        return f
    n = max(vocab.values()) + 1
    # content already in the vocabulary, given a new id: HF keeps the vocabulary's id
    v('added_in_vocab', added([{'id': n, 'content': 'guitar'}, {'id': n + 1, 'content': '##ing'}]))
    # an added token whose id is a vocabulary id of another token
    v('added_id_collides', added([{'id': vocab['the'], 'content': '<thx>'}]))
    v('added_new', added([{'id': n, 'content': '<extra_0>'}, {'id': n + 1, 'content': '[NEW]', 'special': True},
                          {'id': n + 2, 'content': 'ab cd'}]))
    # ids HF does not take from the file: far past the vocabulary, out of order, an empty and a repeated token
    v('added_far_ids', added([{'id': 40000, 'content': '<far>'}, {'id': 39000, 'content': '<far2>'},
                              {'id': 50000, 'content': ''}, {'id': 40001, 'content': '<far>'}]))
    # many added tokens sharing their first bytes (prefixes of each other too): the trie walk
    v('added_many', added([{'id': n + k, 'content': '<x' + 'y' * (k % 7) + str(k)} for k in range(2000)]))
    v('added_overlapping', added([{'id': n, 'content': '<a>'}, {'id': n + 1, 'content': '<a><b>'},
                                  {'id': n + 2, 'content': 'b>'}]))

    # --- pre-tokenizer, post-processor, decoder ------------------------------
    v('no_post', lambda tj: tj.update(post_processor=None))

    def bert_processing(tj):
        tj['post_processor'] = {'type': 'BertProcessing', 'sep': ['[SEP]', vocab['[SEP]']],
                                'cls': ['[CLS]', vocab['[CLS]']]}
    v('bert_processing', bert_processing)

    def template_cls_only(tj):
        tj['post_processor'] = {'type': 'TemplateProcessing',
                                'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}},
                                           {'Sequence': {'id': 'A', 'type_id': 0}}],
                                'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}},
                                         {'Sequence': {'id': 'A', 'type_id': 0}},
                                         {'Sequence': {'id': 'B', 'type_id': 1}}],
                                'special_tokens': {'[CLS]': {'id': '[CLS]', 'ids': [vocab['[CLS]']],
                                                             'tokens': ['[CLS]']}}}
    v('template_cls_only', template_cls_only)
    v('no_decoder', lambda tj: tj.update(decoder=None))
    return out


TEXTS = [
    'A man is playing a guitar.', 'playing guitars, singing and dancing', 'unaffable unbelievably',
    'Supercalifragilisticexpialidocious words are long', 'a b c d e f', 'x' * 120,
    'Hello <extra_0> world [NEW] and ab cd or abcd', '<a><b> <a> b> <a><b><a>',
    'the <thx> the<thx>the', '<far><far2> <far>x', '<xyy1994 <x0<x1 <xyyyyyy1999> <xy12 <x',  'guitar##ing guitaring ##ing', '[CLS] [SEP] [UNK] [MASK] [unused5]',
    'Ünïcödé naïve café résumé', '中文字符 and 日本語', 'emoji 🎸🎶 and symbols ©®',
    "don't stop-believing... (really)!", 'numbers 3.14159 and 1,000,000',
]


def main():
    src, outdir = sys.argv[1:3]
    with open(src, encoding='utf-8') as f:
        base = json.load(f)
    os.makedirs(outdir, exist_ok=True)
    for name, tj in variants(base).items():
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'tokenizer.json'), 'w', encoding='utf-8') as f:
            json.dump(tj, f, ensure_ascii=False)
        print(name)
    with open(os.path.join(outdir, 'texts.txt'), 'w', encoding='utf-8') as f:
        for t in TEXTS:
            f.write(t + '\n')


if __name__ == '__main__':
    main()
