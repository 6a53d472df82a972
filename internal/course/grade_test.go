package course

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestGrade(t *testing.T) {
	single := Question{ID: "q1", Type: Single, Options: []string{"a", "b", "c"}, Answer: Answer{Index: 2}}
	multiple := Question{ID: "q2", Type: Multiple, Options: []string{"a", "b", "c", "d"}, Answer: Answer{Indexes: []int{2, 0}}}
	trueFalse := Question{ID: "q3", Type: TrueFalse, Answer: Answer{Bool: false}}
	fill := Question{ID: "q4", Type: FillBlank, Answer: Answer{Texts: []string{"Wi-Fi", "无线 网络", "110"}}}

	tests := []struct {
		name    string
		q       Question
		raw     string
		correct bool
		bad     bool
	}{
		{"single right", single, `2`, true, false},
		{"single wrong", single, `0`, false, false},
		{"single out of range", single, `3`, false, true},
		{"single negative", single, `-1`, false, true},
		{"single fraction", single, `1.5`, false, true},
		{"single huge", single, `1e400`, false, true},
		{"single string", single, `"2"`, false, true},
		{"single list", single, `[2]`, false, true},
		{"single null", single, `null`, false, true},
		{"single trailing data", single, `2 3`, false, true},
		{"single not json", single, `two`, false, true},
		{"single empty", single, ``, false, true},

		{"multiple right", multiple, `[0, 2]`, true, false},
		{"multiple any order", multiple, `[2, 0]`, true, false},
		{"multiple repeated choice", multiple, `[2, 0, 2]`, true, false},
		{"multiple missing one", multiple, `[0]`, false, false},
		{"multiple one too many", multiple, `[0, 1, 2]`, false, false},
		{"multiple nothing chosen", multiple, `[]`, false, false},
		{"multiple out of range", multiple, `[0, 4]`, false, true},
		{"multiple scalar", multiple, `0`, false, true},
		{"multiple strings", multiple, `["0", "2"]`, false, true},

		{"true_false right", trueFalse, `false`, true, false},
		{"true_false wrong", trueFalse, `true`, false, false},
		{"true_false string", trueFalse, `"false"`, false, true},
		{"true_false number", trueFalse, `0`, false, true},

		{"fill exact", fill, `"Wi-Fi"`, true, false},
		{"fill case and spaces", fill, `"  wi-fi "`, true, false},
		{"fill fullwidth", fill, `"ＷＩ－ＦＩ"`, true, false},
		{"fill fullwidth digits", fill, `"１１０"`, true, false},
		{"fill inner whitespace", fill, `"无线\u3000\t 网络"`, true, false},
		{"fill no space where one is wanted", fill, `"无线网络"`, false, false},
		{"fill wrong", fill, `"WLAN"`, false, false},
		{"fill empty", fill, `""`, false, false},
		{"fill number", fill, `110`, false, true},
		{"fill list", fill, `["Wi-Fi"]`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			correct, err := tt.q.Grade(json.RawMessage(tt.raw))
			if tt.bad {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("want ErrBadAnswer, got %v", err)
				}
				var ae *AnswerError
				if !errors.As(err, &ae) || ae.QuestionID != tt.q.ID {
					t.Errorf("error does not name question %q: %v", tt.q.ID, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if correct != tt.correct {
				t.Errorf("correct = %v, want %v", correct, tt.correct)
			}
		})
	}
}

func TestGradeUnknownType(t *testing.T) {
	_, err := Question{ID: "q", Type: "essay"}.Grade(json.RawMessage(`1`))
	if err == nil || errors.Is(err, ErrBadAnswer) {
		t.Errorf("an unknown question type is a server problem, not a bad answer: %v", err)
	}
}

func TestAnswerErrorMessage(t *testing.T) {
	_, err := Question{ID: "l1q2", Type: TrueFalse}.Grade(json.RawMessage(`"yes"`))
	if got, want := err.Error(), `question "l1q2": malformed answer: expected true or false`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
