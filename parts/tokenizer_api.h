typedef struct bml_tokenizer bml_tokenizer;

typedef struct bml_tokenizer_desc {
    const char *dir;        /* a model directory: tokenizer.json preferred,
                               else vocab.txt + tokenizer_config.json        */
    const char *file;       /* or one explicit tokenizer.json / vocab.txt    */
    int max_len;            /* truncation length incl. specials; 0 = from
                               sentence_bert_config.json max_seq_length, else
                               256 (never above max_position_embeddings when
                               config.json is present); < 0 = no truncation  */
} bml_tokenizer_desc;

typedef enum bml_utf8_policy {
    BML_UTF8_ERROR = 0,     /* invalid UTF-8 -> BML_ERR_INVALID_UTF8 with the byte offset */
    BML_UTF8_REPLACE = 1    /* substitute U+FFFD for each maximal invalid subsequence     */
} bml_utf8_policy;

/* One encoded text (or pair). Arrays owned by the encoding; reuse one
   encoding across calls to avoid allocation; release with bml_encoding_free.
   Zero-initialise before first use. */
typedef struct bml_encoding {
    int32_t *ids;           /* n token ids, [CLS] ... [SEP]                    */
    uint8_t *type_ids;      /* n token type ids (0, or 1 for the 2nd of a pair) */
    uint32_t *offsets;      /* 2n: byte span [start, end) of each token in the
                               original UTF-8 input; special tokens 0,0 (for a
                               pair, the second text's tokens index that text) */
    size_t n;
    size_t cap;             /* internal */
    size_t bad_offset;      /* after BML_ERR_INVALID_UTF8: byte offset of the
                               first invalid sequence (in the second text of a
                               pair when bad_in_second is set)                 */
    int bad_in_second;
    void *work;             /* internal: scratch kept between calls            */
} bml_encoding;

/* Load a tokenizer. Errors name the file and the problem ("vocab.txt line 17:
   duplicate token ..."). A loaded tokenizer is read-only: share it across
   threads (one bml_encoding per thread). tokenizer.json support: model
   WordPiece, normalizer BertNormalizer (or none), pre_tokenizer
   BertPreTokenizer, post_processor TemplateProcessing / BertProcessing (or
   none), decoder WordPiece (or none), added tokens that are not normalized
   and have no lstrip/rstrip/single_word (others: BML_ERR_UNSUPPORTED). */
BMLDEF bml_status bml_tokenizer_load(const bml_tokenizer_desc *desc, bml_tokenizer **out);
BMLDEF void bml_tokenizer_free(bml_tokenizer *tok);
/* Size of the id space: highest id + 1 (vocabulary and added tokens). */
BMLDEF size_t bml_tokenizer_vocab_size(const bml_tokenizer *tok);
/* Truncation length in tokens, specials included (INT_MAX: none). */
BMLDEF int bml_tokenizer_max_len(const bml_tokenizer *tok);
/* The vocabulary string of id (NULL if out of range). */
BMLDEF const char *bml_tokenizer_id_to_token(const bml_tokenizer *tok, int32_t id);
/* The id of a vocabulary string (-1 if absent). */
BMLDEF int32_t bml_tokenizer_token_to_id(const bml_tokenizer *tok, const char *token, size_t len);
/* Ids of the [CLS]/[SEP]/[PAD]/[UNK]/[MASK]-like tokens (-1 if the tokenizer
   has none): which = "cls", "sep", "pad", "unk" or "mask". */
BMLDEF int32_t bml_tokenizer_special_id(const bml_tokenizer *tok, const char *which);

/* 1 if s[0..n) is valid UTF-8; else 0 with *bad_offset (may be NULL) set to
   the byte offset of the first invalid sequence. */
BMLDEF int bml_utf8_check(const char *s, size_t n, size_t *bad_offset);

/* Encode one text: [CLS] tokens [SEP], truncated to the max length.
   len < 0 means NUL-terminated. */
BMLDEF bml_status bml_tokenize(const bml_tokenizer *tok, const char *text, ptrdiff_t len,
                               bml_utf8_policy policy, bml_encoding *enc);
/* Encode a pair: [CLS] a [SEP] b [SEP], type ids 0/1, longest-first truncation. */
BMLDEF bml_status bml_tokenize_pair(const bml_tokenizer *tok, const char *a, ptrdiff_t alen,
                                    const char *b, ptrdiff_t blen, bml_utf8_policy policy,
                                    bml_encoding *enc);
BMLDEF void bml_encoding_free(bml_encoding *enc);

/* Decode ids to text as HF's WordPiece decoder does (specials skipped,
   "##" joined, spaces before punctuation cleaned up). *out is allocated
   with BML_MALLOC, NUL-terminated; free with bml_free. An id outside the
   vocabulary is BML_ERR_OUT_OF_RANGE (HF skips it silently). */
BMLDEF bml_status bml_detokenize(const bml_tokenizer *tok, const int32_t *ids, size_t n,
                                 char **out, size_t *out_len);

/* Encode many texts across `threads` threads (0 = all cores). encs[i] and
   status[i] (may be NULL) receive each item's result; one bad item fails
   alone. Returns BML_OK unless the call itself is invalid. lens may be NULL
   (NUL-terminated texts). */
BMLDEF bml_status bml_tokenize_batch(const bml_tokenizer *tok, const char *const *texts,
                                     const size_t *lens, size_t count, bml_utf8_policy policy,
                                     int threads, bml_encoding *encs, bml_status *status);
/* The same for pairs (a[i], b[i]), e.g. for a cross-encoder. */
BMLDEF bml_status bml_tokenize_pair_batch(const bml_tokenizer *tok, const char *const *a,
                                          const size_t *alens, const char *const *b,
                                          const size_t *blens, size_t count, bml_utf8_policy policy,
                                          int threads, bml_encoding *encs, bml_status *status);
/* Decode many id sequences: outs[i] (free each with bml_free) and out_lens[i]
   (may be NULL), status[i] (may be NULL). */
BMLDEF bml_status bml_detokenize_batch(const bml_tokenizer *tok, const int32_t *const *ids,
                                       const size_t *ns, size_t count, int threads, char **outs,
                                       size_t *out_lens, bml_status *status);
