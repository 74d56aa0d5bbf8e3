package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDB is a real MySQL-compatible server (Debian's mariadb-server) on
// loopback, started for a test and stopped after it.
type MariaDB struct {
	Addr     string // 127.0.0.1:PORT
	User     string
	Password string
	socket   string
	n        atomic.Int32
}

// StartMariaDB starts a server whose data, socket, pid file and log live
// in a folder the mysql user owns (or it never starts, and says nothing).
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	if testing.Short() {
		t.Skip("-short (make test-quick): this test runs a real MariaDB")
	}
	daemon := FindTool("mariadbd")
	if daemon == "" {
		daemon = FindTool("mysqld")
	}
	install := FindTool("mariadb-install-db")
	if daemon == "" || install == "" {
		for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, "mariadbd"); daemon == "" && fileExists(p) {
				daemon = p
			}
			if p := filepath.Join(dir, "mariadb-install-db"); install == "" && fileExists(p) {
				install = p
			}
		}
	}
	if daemon == "" || install == "" {
		Needed(t, "mariadb-server is not installed: make test installs it (Debian package mariadb-server)")
		return nil
	}
	dir, err := os.MkdirTemp("", "modelgate-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	var userArgs []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			Needed(t, "no mysql user to run mariadbd as (%v)", err)
			return nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chown(dir, uid, gid)
		userArgs = []string{"--user=mysql"}
	}
	data := filepath.Join(dir, "data")
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, userArgs...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sock := filepath.Join(dir, "mysqld.sock")
	cmd := exec.Command(daemon, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock, "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		"--log-error=" + filepath.Join(dir, "error.log"), "--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--innodb-buffer-pool-size=64M", "--max-connections=400", "--innodb-flush-log-at-trx-commit=2"}, userArgs...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	m := &MariaDB{Addr: fmt.Sprintf("127.0.0.1:%d", port), User: "modelgate", Password: "modelgate-test-password", socket: sock}
	root := mysql.NewConfig()
	root.User, root.Net, root.Addr = "root", "unix", sock
	deadline := time.Now().Add(60 * time.Second)
	var db *sql.DB
	for {
		db, err = sql.Open("mysql", root.FormatDSN())
		if err == nil {
			if err = db.Ping(); err == nil {
				break
			}
			db.Close()
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd did not start: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer db.Close()
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", m.User, m.Password),
		fmt.Sprintf("GRANT ALL ON *.* TO '%s'@'127.0.0.1'", m.User),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return m
}

// Database creates a new database and returns the ledger spec naming it
// (mysql://USER@ADDR/DB); the password is m.Password, given in
// $MODELGATE_LEDGER_PASSWORD.
func (m *MariaDB) Database(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("ledger_%d_%d", os.Getpid(), m.n.Add(1))
	root := mysql.NewConfig()
	root.User, root.Net, root.Addr = "root", "unix", m.socket
	db, err := sql.Open("mysql", root.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return "mysql://" + m.User + "@" + m.Addr + "/" + name
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && !strings.HasSuffix(p, "/")
}
