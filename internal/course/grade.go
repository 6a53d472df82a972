package course

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// ErrBadAnswer means a learner's answer has the wrong shape for its question
// (wrong JSON type, index out of range): a client bug, not a wrong answer.
var ErrBadAnswer = errors.New("malformed answer")

// AnswerError names the question whose answer was malformed, so an API can
// answer 400 and say which one. errors.Is(err, ErrBadAnswer) holds.
type AnswerError struct {
	QuestionID string
	Reason     string
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("question %q: %v: %s", e.QuestionID, ErrBadAnswer, e.Reason)
}

func (e *AnswerError) Unwrap() error { return ErrBadAnswer }

// Grade says whether raw, a learner's answer in the JSON shape of the
// question type, is correct: an option index for single, a list of indexes
// for multiple (order does not matter, the set must match exactly),
// true/false for true_false, a string for fill_blank.
func (q Question) Grade(raw json.RawMessage) (correct bool, err error) {
	bad := func(reason string) (bool, error) {
		return false, &AnswerError{QuestionID: q.ID, Reason: reason}
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return bad("not valid JSON")
	}
	switch q.Type {
	case Single:
		i, ok := jsonIndex(v, len(q.Options))
		if !ok {
			return bad(fmt.Sprintf("expected an option index from 0 to %d", len(q.Options)-1))
		}
		return i == q.Answer.Index, nil
	case Multiple:
		list, ok := v.([]any)
		if !ok {
			return bad("expected a list of option indexes")
		}
		chosen := make([]int, 0, len(list))
		for _, item := range list {
			i, ok := jsonIndex(item, len(q.Options))
			if !ok {
				return bad(fmt.Sprintf("expected option indexes from 0 to %d", len(q.Options)-1))
			}
			if !slices.Contains(chosen, i) {
				chosen = append(chosen, i)
			}
		}
		want := slices.Compact(slices.Sorted(slices.Values(q.Answer.Indexes)))
		slices.Sort(chosen)
		return slices.Equal(chosen, want), nil
	case TrueFalse:
		b, ok := v.(bool)
		if !ok {
			return bad("expected true or false")
		}
		return b == q.Answer.Bool, nil
	case FillBlank:
		s, ok := v.(string)
		if !ok {
			return bad("expected a string")
		}
		got := normalizeBlank(s)
		for _, t := range q.Answer.Texts {
			if normalizeBlank(t) == got {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("question %q: unknown question type %q", q.ID, q.Type)
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact so 1.5 or
// 1e400 can be told apart from a valid index.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func jsonIndex(v any, n int) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	if err != nil || i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// normalizeBlank makes fill-in answers compare the way a teacher would:
// learners on Chinese input methods often type fullwidth letters and digits
// (１１０, ＷｉＦｉ), and spacing and case carry no meaning in a blank.
func normalizeBlank(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII block
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Unshuffle rewrites raw, an answer given against options shown in the
// order perm (perm[shown] is the authored index), into authored order, so
// grading and stored answers never depend on what a learner was shown.
// Answers to questions without options, and answers of the wrong shape
// (which Grade then reports), come back unchanged.
func (q Question) Unshuffle(raw json.RawMessage, perm []int) json.RawMessage {
	if len(perm) != len(q.Options) || (q.Type != Single && q.Type != Multiple) {
		return raw
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return raw
	}
	switch q.Type {
	case Single:
		if i, ok := jsonIndex(v, len(perm)); ok {
			out, _ := json.Marshal(perm[i])
			return out
		}
	case Multiple:
		list, ok := v.([]any)
		if !ok {
			return raw
		}
		mapped := make([]int, 0, len(list))
		for _, item := range list {
			i, ok := jsonIndex(item, len(perm))
			if !ok {
				return raw
			}
			mapped = append(mapped, perm[i])
		}
		out, _ := json.Marshal(mapped)
		return out
	}
	return raw
}
