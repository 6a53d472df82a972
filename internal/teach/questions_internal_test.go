package teach

import (
	"testing"

	"github.com/xuetang-edu/xuetang/internal/store"
)

func TestAnalyseCountsFirstTriesAndCommonestWrongAnswers(t *testing.T) {
	// Two versions of a lesson: version 2 (lesson 20) changed q2's answer.
	rows := []store.Question{
		{LessonID: 10, QID: "q1", Position: 1, Type: "multiple", Prompt: "Pick x and z", Options: `["x","y","z","w"]`, Answer: `{"Indexes":[0,2]}`},
		{LessonID: 10, QID: "q2", Position: 2, Type: "fill_blank", Prompt: "Number", Options: `[]`, Answer: `{"Texts":["110"]}`},
		{LessonID: 20, QID: "q1", Position: 1, Type: "multiple", Prompt: "Pick x and z", Options: `["x","y","z","w"]`, Answer: `{"Indexes":[0,2]}`},
		{LessonID: 20, QID: "q2", Position: 2, Type: "fill_blank", Prompt: "Number", Options: `[]`, Answer: `{"Texts":["120"]}`},
	}
	attempts := []store.QuizAttempt{
		{UserID: 1, LessonID: 10, Answers: `{"q1":[0,1],"q2":"119"}`},
		{UserID: 1, LessonID: 10, Answers: `{"q1":[0,2],"q2":"110"}`},
		{UserID: 2, LessonID: 20, Answers: `{"q1":[0,2],"q2":" 119 "}`},
		{UserID: 3, LessonID: 20, Answers: `{"q1":[1,3],"q2":"110"}`},
		{UserID: 4, LessonID: 20, Answers: `{"q2":null}`},
	}
	got, err := analyse(20, rows, attempts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%+v", got)
	}
	// q2 is worse (0 of 3 right at first try) and comes first.
	q2, q1 := got[0], got[1]
	if q2.ID != "q2" || q2.Attempts != 3 || q2.FirstTryCorrect != 0 || q2.MostChosenWrong != "119" || q2.WrongAnswers != 3 {
		t.Errorf("q2 %+v", q2)
	}
	// y was chosen wrongly twice, w once.
	if q1.ID != "q1" || q1.Attempts != 3 || q1.FirstTryCorrect != 1 || q1.MostChosenWrong != 1 || q1.FirstTryCorrectShare != 1.0/3 {
		t.Errorf("q1 %+v", q1)
	}
	none, _ := analyse(20, rows, nil)
	if none[0].Attempts != 0 || none[0].MostChosenWrong != nil || none[0].ID != "q1" {
		t.Errorf("no attempts: %+v", none)
	}
}

func TestNormalizeJoinCode(t *testing.T) {
	for in, want := range map[string]string{"abc-234": "ABC234", " AB C2 34 ": "ABC234", "ＡＢＣ234": "ABC234", "ABC23": "", "ABC2340": "",
		"OBC234": "", "1BC234": "", "": ""} {
		if got := NormalizeJoinCode(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	for i := 0; i < 100; i++ {
		if c := newJoinCode(); NormalizeJoinCode(c) != c {
			t.Fatalf("generated %q does not read back", c)
		}
	}
}
