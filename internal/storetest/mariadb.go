package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MariaDB is a mariadbd a test started for itself: its own data dir,
// socket, pid file and free loopback port under t.TempDir(), stopped when
// the test ends. Replication needs servers whose binary log and server id
// a test may set, which the shared test database must never have changed.
type MariaDB struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	exit chan struct{}
	db   *sql.DB // root over TCP, no database selected
	stop sync.Once
}

// mariadbBinaries finds the server and the data-dir initialiser.
func mariadbBinaries() (server, install string, ok bool) {
	server, err := exec.LookPath("mariadbd")
	if err != nil {
		server = "/usr/sbin/mariadbd"
		if _, err := os.Stat(server); err != nil {
			return "", "", false
		}
	}
	install, err = exec.LookPath("mariadb-install-db")
	if err != nil {
		return "", "", false
	}
	return server, install, true
}

// HaveMariaDB reports whether mariadbd and mariadb-install-db are installed.
func HaveMariaDB() bool {
	_, _, ok := mariadbBinaries()
	return ok
}

// freePort asks the kernel for a loopback port nobody holds. The server
// binds it a moment later; a clash in between fails the start loudly.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartMariaDBs initialises and starts one server per argument list, in
// parallel (initialising takes a few seconds each). Each list is extra
// mariadbd options, such as --server-id=1 --log-bin.
func StartMariaDBs(t testing.TB, extra ...[]string) []*MariaDB {
	t.Helper()
	server, install, ok := mariadbBinaries()
	if !ok {
		t.Skip("mariadbd and mariadb-install-db not installed")
	}
	me := "root"
	if u, err := user.Current(); err == nil {
		me = u.Username
	}
	out := make([]*MariaDB, len(extra))
	errc := make(chan error, len(extra))
	for i := range extra {
		m := &MariaDB{Port: freePort(t), dir: t.TempDir(), exit: make(chan struct{})}
		out[i] = m
		go func() {
			data := filepath.Join(m.dir, "data")
			// Its own temporary directory: bootstraps sharing /tmp have
			// been seen to drop each other's temporary tables.
			if err := os.Mkdir(filepath.Join(m.dir, "tmp"), 0o700); err != nil {
				errc <- err
				return
			}
			init := exec.Command(install, "--no-defaults", "--datadir="+data, "--user="+me,
				"--auth-root-authentication-method=normal", "--skip-test-db", "--tmpdir="+filepath.Join(m.dir, "tmp"))
			init.Env = append(os.Environ(), "TMPDIR="+filepath.Join(m.dir, "tmp"))
			if b, err := init.CombinedOutput(); err != nil {
				errc <- fmt.Errorf("mariadb-install-db: %v\n%s", err, b)
				return
			}
			errc <- nil
		}()
	}
	for range extra {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range out {
		sock := filepath.Join(m.dir, "s")
		if len(sock) > 100 {
			t.Fatalf("socket path too long for a unix socket: %s", sock)
		}
		args := append([]string{"--no-defaults", "--datadir=" + filepath.Join(m.dir, "data"), "--user=" + me,
			"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", m.Port), "--socket=" + sock,
			"--pid-file=" + filepath.Join(m.dir, "pid"), "--tmpdir=" + filepath.Join(m.dir, "tmp"), "--log-error=" + filepath.Join(m.dir, "mariadbd.err"),
			"--skip-name-resolve", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
			"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"}, extra[i]...)
		m.cmd = exec.Command(server, args...)
		if err := m.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { m.cmd.Wait(); close(m.exit) }()
		t.Cleanup(m.Stop)
	}
	for _, m := range out {
		m.waitReady(t)
	}
	return out
}

func (m *MariaDB) waitReady(t testing.TB) {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?parseTime=true&loc=UTC", m.Port))
	if err != nil {
		t.Fatal(err)
	}
	m.db = db
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-m.exit:
			log, _ := os.ReadFile(filepath.Join(m.dir, "mariadbd.err"))
			t.Fatalf("mariadbd on port %d exited while starting:\n%s", m.Port, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadbd on port %d not ready: %v", m.Port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is the mysql:// address of a database on this server, as root.
func (m *MariaDB) URL(database string) string {
	return fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", m.Port, database)
}

// Exec runs statements as root, failing the test on an error.
func (m *MariaDB) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := m.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// QueryInt reads one integer as root.
func (m *MariaDB) QueryInt(t testing.TB, q string) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := m.db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s); later calls do
// nothing.
func (m *MariaDB) Stop() {
	m.stop.Do(func() {
		if m.db != nil {
			m.db.Close()
		}
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exit:
		case <-time.After(10 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.exit
		}
	})
}

// ReplicatedMariaDB starts a primary (binary log on, server id 1) and a
// replica of it (server id 2) replicating everything from the primary's
// first binary log: databases created on the primary appear on the replica.
func ReplicatedMariaDB(t testing.TB) (primary, replica *MariaDB) {
	t.Helper()
	ms := StartMariaDBs(t, []string{"--server-id=1", "--log-bin=bin", "--binlog-format=ROW"},
		[]string{"--server-id=2", "--relay-log=relay", "--skip-slave-start"})
	primary, replica = ms[0], ms[1]
	replica.Exec(t, fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', "+
		"MASTER_PASSWORD='', MASTER_LOG_FILE='bin.000001', MASTER_LOG_POS=4, MASTER_CONNECT_RETRY=1", primary.Port),
		"START SLAVE")
	return primary, replica
}

// WaitFor polls cond every 50 ms until it holds, failing after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SlaveStatus returns one column of the replica's SHOW SLAVE STATUS ("" for NULL).
func (m *MariaDB) SlaveStatus(t testing.TB, column string) string {
	t.Helper()
	rows, err := m.db.Query("SHOW SLAVE STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return ""
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		if strings.EqualFold(c, column) {
			return vals[i].String
		}
	}
	t.Fatalf("no column %s in SHOW SLAVE STATUS", column)
	return ""
}
