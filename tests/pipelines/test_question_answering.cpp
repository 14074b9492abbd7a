// question-answering: span selection and answer mapping on hand-built logits (expected values
// derived by hand from Hugging Face's QuestionAnsweringPipeline algorithm), and end to end on
// bert_qa with a tokenizer whose ids are the fixture's, the expected spans found by brute force
// over Hugging Face's reference logits.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "pipelines/pipeline_test_support.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/question_answering.h"

using namespace transformers;
using namespace transformers::pipelines;
using namespace transformers::testing;

namespace {

// "alpha beta gamma delta": alpha [0,5) beta [6,10) gamma [11,16) delta [17,22).
QuestionAnsweringWindow window(std::vector<std::pair<size_t, size_t>> context_offsets, std::vector<double> start,
                               std::vector<double> end) {
  // [CLS] q [SEP] context... [SEP]
  QuestionAnsweringWindow w;
  w.offsets = {{0, 0}, {0, 1}, {0, 0}};
  w.p_mask = {0, 1, 1};
  for (auto o : context_offsets) {
    w.offsets.push_back(o);
    w.p_mask.push_back(0);
  }
  w.offsets.push_back({0, 0});
  w.p_mask.push_back(1);
  w.attention_mask.assign(w.p_mask.size(), 1);
  w.word_chars = std::vector<std::optional<std::pair<size_t, size_t>>>(w.p_mask.size());
  // Masked positions get arbitrary large logits: they must not matter.
  w.start_logits.assign(w.p_mask.size(), 50.0);
  w.end_logits.assign(w.p_mask.size(), 50.0);
  w.start_logits[0] = start[0];
  w.end_logits[0] = end[0];
  for (size_t i = 0; i < context_offsets.size(); ++i) {
    w.start_logits[3 + i] = start[1 + i];
    w.end_logits[3 + i] = end[1 + i];
  }
  return w;
}

}  // namespace

TEST(QuestionAnsweringPostprocess, SpansAreProductsOfMaskedSoftmaxes) {
  // Allowed: CLS (0) and context 3, 4. start logits (0, ln 2, 0) -> 1/4, 1/2, 1/4;
  // end logits (0, 0, ln 3) -> 1/5, 1/5, 3/5. Null = 1/4 * 1/5.
  std::vector<double> start = {0, 9, 9, std::log(2.0), 0, 9}, end = {0, 9, 9, 0, std::log(3.0), 9};
  std::vector<int32_t> p_mask = {0, 1, 1, 0, 0, 1}, attention(6, 1);
  double null_score = 1e6;
  auto spans = select_starts_ends(start, end, p_mask, attention, null_score, 3, true, 15);
  EXPECT_NEAR(null_score, 0.05, 1e-12);
  // (3,4) = 1/2 * 3/5, (4,4) = 1/4 * 3/5, (3,3) = 1/2 * 1/5.
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].start, 3);
  EXPECT_EQ(spans[0].end, 4);
  EXPECT_NEAR(spans[0].score, 0.3, 1e-12);
  EXPECT_EQ(spans[1].start, 4);
  EXPECT_NEAR(spans[1].score, 0.15, 1e-12);
  EXPECT_EQ(spans[2].end, 3);
  EXPECT_NEAR(spans[2].score, 0.1, 1e-12);
  // max_answer_len 1: single tokens only.
  auto single = select_starts_ends(start, end, p_mask, attention, null_score, 2, false, 1);
  ASSERT_EQ(single.size(), 2u);
  EXPECT_EQ(single[0].start, 4);
  EXPECT_EQ(single[1].start, 3);
  // A position outside the attention mask is as excluded as p_mask: only (3,3) remains > 0.
  attention[4] = 0;
  auto masked = select_starts_ends(start, end, p_mask, attention, null_score, 1, false, 15);
  ASSERT_EQ(masked.size(), 1u);
  EXPECT_EQ(masked[0].start, 3);
  EXPECT_NEAR(masked[0].score, (2.0 / 3) * (1.0 / 2), 1e-12);
}

TEST(QuestionAnsweringPostprocess, AnswersAcrossOverlappingWindows) {
  // Window A: alpha beta gamma. start = end = (CLS 0, 0, 0, ln 2): probs 1/5 1/5 1/5 2/5.
  // Window B: gamma delta. start = end = (CLS 0, 0, ln 3): probs 1/5 1/5 3/5.
  const double l2 = std::log(2.0), l3 = std::log(3.0);
  std::vector<QuestionAnsweringWindow> windows = {
      window({{0, 5}, {6, 10}, {11, 16}}, {0, 0, 0, l2}, {0, 0, 0, l2}),
      window({{11, 16}, {17, 22}}, {0, 0, l3}, {0, 0, l3})};
  const std::string context = "alpha beta gamma delta";
  QuestionAnsweringOptions o;
  o.max_answer_len = 1;
  o.top_k = 2;
  auto answers = question_answering_postprocess(windows, context, o);
  // delta: 3/5 * 3/5 = 0.36; gamma: 4/25 (A) + 1/25 (B) = 0.2, summed as one answer.
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].answer, "delta");
  EXPECT_NEAR(answers[0].score, 0.36, 1e-12);
  EXPECT_EQ(answers[0].start, 17);
  EXPECT_EQ(answers[0].end, 22);
  EXPECT_EQ(answers[1].answer, "gamma");
  EXPECT_NEAR(answers[1].score, 0.2, 1e-12);
  // Longer spans: A's "beta gamma" = 1/5 * 2/5; B's "gamma delta" = 1/5 * 3/5 = 0.12.
  o.max_answer_len = 15;
  o.top_k = 3;
  answers = question_answering_postprocess(windows, context, o);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].answer, "delta");
  EXPECT_EQ(answers[1].answer, "gamma");  // 0.16 + 0.04
  EXPECT_EQ(answers[2].answer, "gamma delta");
  EXPECT_NEAR(answers[2].score, 0.12, 1e-12);
  QuestionAnsweringOptions zero;
  zero.top_k = 0;
  EXPECT_THROW(question_answering_postprocess(windows, context, zero), Error);
}

TEST(QuestionAnsweringPostprocess, ImpossibleAnswerUsesTheSmallestNullScore) {
  // CLS logits ln 4: window B's probs CLS 4/8, gamma 1/8, delta 3/8 -> null 1/4, delta 9/64.
  const double l3 = std::log(3.0), l4 = std::log(4.0);
  std::vector<QuestionAnsweringWindow> windows = {window({{11, 16}, {17, 22}}, {l4, 0, l3}, {l4, 0, l3}),
                                                  window({{11, 16}, {17, 22}}, {l4 + 1, 0, l3}, {l4, 0, l3})};
  QuestionAnsweringOptions o;
  o.handle_impossible_answer = true;
  auto answers = question_answering_postprocess({windows[0]}, "alpha beta gamma delta", o);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].answer, "");
  EXPECT_EQ(answers[0].start, 0);
  EXPECT_EQ(answers[0].end, 0);
  EXPECT_NEAR(answers[0].score, 0.25, 1e-12);
  // Two windows: the null score is the smaller one (window 0's), not a sum.
  o.top_k = 1;
  answers = question_answering_postprocess(windows, "alpha beta gamma delta", o);
  EXPECT_NEAR(answers[0].score, 0.25, 1e-12);
}

TEST(QuestionAnsweringPostprocess, WordAlignmentWidensToWholeWords) {
  // "gamma" as gam [11,14) ##ma [14,16); the best start is ##ma.
  QuestionAnsweringWindow w = window({{11, 14}, {14, 16}}, {0, 0, 3}, {0, 0, 3});
  w.word_chars[3] = w.word_chars[4] = std::pair<size_t, size_t>{11, 16};
  QuestionAnsweringOptions o;
  auto aligned = question_answering_postprocess({w}, "alpha beta gamma delta", o);
  EXPECT_EQ(aligned[0].answer, "gamma");
  EXPECT_EQ(aligned[0].start, 11);
  o.align_to_words = false;
  auto raw = question_answering_postprocess({w}, "alpha beta gamma delta", o);
  EXPECT_EQ(raw[0].answer, "ma");
  EXPECT_EQ(raw[0].start, 14);
  // With alignment, the spans gam..##ma, ##ma..##ma and gam..gam are one answer: scores summed.
  const double e = std::exp(3.0), z = 2 + e;
  EXPECT_NEAR(aligned[0].score, (e / z) * (e / z) + (1 / z) * (e / z) + (1 / z) * (1 / z), 1e-12);
  EXPECT_EQ(question_answering_to_json({aligned}), nlohmann::ordered_json({{"score", aligned[0].score},
                                                                           {"start", 11},
                                                                           {"end", 16},
                                                                           {"answer", "gamma"}})
                                                       .dump());
}

TEST(QuestionAnsweringPostprocess, RealTokenizersWidenASpanToItsWord) {
  TFM_SKIP_WITHOUT_SHARED();
  // Question "Short." and a context whose word "punctuation" [39,50) every tokenizer here cuts
  // into pieces. Logits are 0 except 10 at one piece (start and end), so the best span is that
  // piece alone; allowed are the context tokens (and CLS), question first.
  const std::string question = "Short.", context = "A somewhat longer second segment, with punctuation!";
  struct Case {
    const char* tokenizer;
    size_t piece;                 // the token given logit 10
    std::string raw;              // its own offsets' text
    int64_t raw_start, raw_end;
    std::string word;             // its word's text (HF word_to_chars)
    int64_t word_start, word_end;
    size_t allowed;               // unmasked positions: the softmax denominators are e^10 + allowed - 1
  };
  const std::vector<Case> cases = {
      // gpt2 (no template): Short . | A Ġsomewhat Ġlonger Ġsecond Ġsegment , Ġwith Ġpunct uation !;
      // piece 10 = uation [44,50); its word " punctuation" is Ġpunct [38,44) + uation, the space
      // included as ByteLevel's offsets are not trimmed here. Allowed: the 10 context tokens.
      {"gpt2", 10, "uation", 44, 50, " punctuation", 38, 50, 10},
      // bert: [CLS] short . [SEP] a somewhat longer second segment , with pun ##ct ##uation ! [SEP];
      // piece 13 = ##uation [44,50); word = pun [39,42) .. ##uation. Allowed: CLS + 11 context.
      {"bert_base_uncased", 13, "uation", 44, 50, "punctuation", 39, 50, 12},
      // llama2 (no pre-tokenizer): <s> ▁Short . <s> ▁A ▁somewhat ▁longer ▁second ▁segment , ▁with
      // ▁pun ctu ation !; piece 13 = ation [45,50); the whole context is one word [0,51).
      // Allowed: the 11 context tokens.
      {"llama2", 13, "ation", 45, 50, context, 0, 51, 11},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tokenizer);
    tok::PreTrainedTokenizer t =
        tok::AutoTokenizer::from_pretrained(shared_path(std::string("fixtures/tokenizers/") + c.tokenizer));
    tok::Encoding enc = t.tokenizer().encode_pair(question, context, true);
    std::vector<double> logits(enc.size(), 0.0);
    ASSERT_LT(c.piece, enc.size());
    logits[c.piece] = 10.0;
    QuestionAnsweringWindow w = question_answering_window(enc, logits, logits, true, t.cls_token_id());
    size_t allowed = 0;
    for (int32_t m : w.p_mask) allowed += m == 0;
    EXPECT_EQ(allowed, c.allowed);
    QuestionAnsweringOptions o;
    o.align_to_words = false;
    auto raw = question_answering_postprocess({w}, context, o);
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0].answer, c.raw);
    EXPECT_EQ(raw[0].start, c.raw_start);
    EXPECT_EQ(raw[0].end, c.raw_end);
    const double p = std::exp(10.0) / (std::exp(10.0) + double(c.allowed - 1));
    EXPECT_NEAR(raw[0].score, p * p, 1e-12);
    o.align_to_words = true;
    auto aligned = question_answering_postprocess({w}, context, o);
    ASSERT_EQ(aligned.size(), 1u);
    EXPECT_EQ(aligned[0].answer, c.word);
    EXPECT_EQ(aligned[0].start, c.word_start);
    EXPECT_EQ(aligned[0].end, c.word_end);
    EXPECT_GE(aligned[0].score, p * p);  // spans that align to the same word add up
  }
}

namespace {

struct Span {
  int s, e;
  double score;
};

// Brute force over bert_qa's reference row 0 ([CLS] 5 question words [SEP] 4 context words [SEP]):
// every context span of at most 15 tokens, best first.
std::vector<Span> reference_spans() {
  std::vector<double> start = reference("bert_qa", "start_logits"), end = reference("bert_qa", "end_logits");
  std::vector<double> s_allowed = {start[0]}, e_allowed = {end[0]};
  for (int i = 7; i <= 10; ++i) {
    s_allowed.push_back(start[size_t(i)]);
    e_allowed.push_back(end[size_t(i)]);
  }
  std::vector<double> ps = hand_softmax(s_allowed), pe = hand_softmax(e_allowed);
  std::vector<Span> spans;
  for (int s = 1; s <= 4; ++s)
    for (int e = s; e <= 4; ++e) spans.push_back({s - 1, e - 1, ps[size_t(s)] * pe[size_t(e)]});
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.score > b.score; });
  return spans;
}

const std::vector<int64_t> kQuestion = {117, 94, 244, 118, 68}, kContext = {238, 60, 131, 127};

std::string context_words(int s, int e) {
  return words(std::vector<int64_t>(kContext.begin() + s, kContext.begin() + e + 1));
}

}  // namespace

TEST(QuestionAnsweringPipelineTest, BestSpansMatchTransformersLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  QuestionAnsweringPipeline pipe(models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_qa")),
                                 std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer()));
  std::vector<Span> expected = reference_spans();
  const std::string context = words(kContext);
  QuestionAnsweringOptions o;
  o.top_k = 3;
  // Batched with a second, longer input: padding must not move the first one's answers.
  auto results = pipe({{words(kQuestion), context}, {words(kQuestion), context + " w9 w10 w11"}}, o);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const Answer& a = results[0][k];
    EXPECT_EQ(a.answer, context_words(expected[k].s, expected[k].e));
    EXPECT_NEAR(a.score, expected[k].score, 1e-5);
    EXPECT_EQ(context.substr(size_t(a.start), size_t(a.end - a.start)), a.answer);
  }
}

TEST(QuestionAnsweringPipelineTest, LongContextsAreSplitIntoWindows) {
  TFM_SKIP_WITHOUT_SHARED();
  QuestionAnsweringPipeline pipe(models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_qa")),
                                 std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer()));
  // 12 tokens a window: the first window is exactly the reference row; later ones start 2 tokens
  // before the previous one ended.
  const std::string context = words(kContext) + " w20 w21 w22 w23";
  QuestionAnsweringOptions o;
  o.max_seq_len = 12;
  o.doc_stride = 2;
  o.top_k = 200;
  auto answers = pipe({{words(kQuestion), context}}, o)[0];
  // Answers only the first window holds (they start in its first two context words) keep the
  // reference scores; answers from later windows exist too.
  int checked = 0;
  for (const Span& span : reference_spans()) {
    if (span.s > 1) continue;
    const std::string text = context_words(span.s, span.e);
    auto it = std::find_if(answers.begin(), answers.end(), [&](const Answer& a) { return a.answer == text; });
    ASSERT_NE(it, answers.end()) << text;
    EXPECT_NEAR(it->score, span.score, 1e-5) << text;
    ++checked;
  }
  EXPECT_EQ(checked, 7);
  EXPECT_TRUE(std::any_of(answers.begin(), answers.end(), [](const Answer& a) { return a.answer == "w23"; }));
  for (size_t i = 1; i < answers.size(); ++i) EXPECT_GE(answers[i - 1].score, answers[i].score);
  // doc_stride above max_seq_len is HF's error.
  o.doc_stride = 13;
  EXPECT_THROW(pipe({{words(kQuestion), context}}, o), Error);
  EXPECT_THROW(pipe({{"", context}}), Error);
}
