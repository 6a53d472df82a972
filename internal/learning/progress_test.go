package learning

import (
	"testing"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

func TestEventValidate(t *testing.T) {
	good := Event{EventID: "0b9e5b8c-3f1a-4c53-9d64-2a1f0c7e8b11", LessonID: 1, Type: "heartbeat", Seconds: 15}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(e *Event){
		"event_id":  func(e *Event) { e.EventID = "not-a-uuid" },
		"type":      func(e *Event) { e.Type = "scroll" },
		"seconds":   func(e *Event) { e.Seconds = -1 },
		"lesson_id": func(e *Event) { e.LessonID = 0 },
	}
	for field, change := range cases {
		e := good
		change(&e)
		err := e.Validate()
		if errs.CodeOf(err) != errs.Invalid || errs.As(err).Args["field"] != field {
			t.Errorf("bad %s: %v", field, err)
		}
	}
}
