package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// classify decides between 404, 409, 503 and 500 for everything the
// drivers return; a database outage answered with 500 would page nobody
// and tell users nothing useful.
func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want errs.Code
	}{
		{"record not found", gorm.ErrRecordNotFound, errs.NotFound},
		{"wrapped not found", fmt.Errorf("lookup: %w", gorm.ErrRecordNotFound), errs.NotFound},
		{"mysql duplicate", &mysqldrv.MySQLError{Number: 1062, Message: "Duplicate entry"}, errs.Conflict},
		{"sqlite duplicate", errors.New("constraint failed: UNIQUE constraint failed: users.username (2067)"), errs.Conflict},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, errs.Unavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), errs.Unavailable},
		{"bad conn", driver.ErrBadConn, errs.Unavailable},
		{"invalid conn", mysqldrv.ErrInvalidConn, errs.Unavailable},
		{"unexpected EOF", io.ErrUnexpectedEOF, errs.Unavailable},
		{"deadline", context.DeadlineExceeded, errs.Unavailable},
		{"server gone away", &mysqldrv.MySQLError{Number: 2006}, errs.Unavailable},
		{"too many connections", &mysqldrv.MySQLError{Number: 1040}, errs.Unavailable},
		{"lock wait timeout", &mysqldrv.MySQLError{Number: 1205}, errs.Unavailable},
		{"deadlock", &mysqldrv.MySQLError{Number: 1213}, errs.Unavailable},
		{"sqlite busy", errors.New("database is locked (5) (SQLITE_BUSY)"), errs.Unavailable},
		{"missing table", &mysqldrv.MySQLError{Number: 1146, Message: "Table doesn't exist"}, errs.Internal},
		{"syntax", errors.New("SQL logic error: near \"SELEC\": syntax error (1)"), errs.Internal},
		{"already classified", errs.New(errs.Forbidden, "error.forbidden"), errs.Forbidden},
	}
	for _, tc := range cases {
		got := classify(tc.err)
		if errs.CodeOf(got) != tc.want {
			t.Errorf("%s: classify(%v) = %v, want code %s", tc.name, tc.err, got, tc.want)
		}
		if tc.want != errs.Forbidden && !errors.Is(got, tc.err) {
			t.Errorf("%s: the cause is lost", tc.name)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
