package web

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// numParam reads a positive id from the path; anything else is 0, which no
// row has, so the service still answers 403 to roles that may not act and
// 404 to those that may.
func numParam(c echo.Context, name string) int64 { return positive(c.Param(name)) }

// numQuery is numParam for a query parameter.
func numQuery(c echo.Context, name string) int64 { return positive(c.QueryParam(name)) }

func positive(s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
