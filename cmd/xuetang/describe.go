package main

import (
	"github.com/xuetang-edu/xuetang/frontend"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/i18n"
)

// describe turns a typed error into the English sentence the web layer would
// show, so command-line users read the same words.
func describe(err error) string {
	e := errs.As(err)
	if e.Code == errs.Internal || e.Code == errs.Unavailable {
		return err.Error()
	}
	cat, cerr := i18n.Load(frontend.FS(""), "i18n")
	if cerr != nil {
		return err.Error()
	}
	return cat.T("en", e.Key, e.Args)
}
