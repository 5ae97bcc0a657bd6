package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestDSNDistinctDatabases(t *testing.T) {
	if !Available() {
		t.Skip("no PostgreSQL server binaries")
	}
	ctx := context.Background()
	a, b := DSN(t), DSN(t)
	t.Logf("startup %v; %s", startupTime, a)
	if a == b {
		t.Fatalf("DSN returned %s twice", a)
	}
	if _, err := connect(t, a).Exec(ctx, "CREATE TABLE items (id int)"); err != nil {
		t.Fatal(err)
	}
	var found bool
	if err := connect(t, b).QueryRow(ctx, "SELECT to_regclass('items') IS NOT NULL").Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found {
		t.Error("table created in one database is visible in the other")
	}
}

func TestRestart(t *testing.T) {
	if !Available() {
		t.Skip("no PostgreSQL server binaries")
	}
	ctx := context.Background()
	dsn := DSN(t)
	old := connect(t, dsn)
	if _, err := old.Exec(ctx, "CREATE TABLE items (id int); INSERT INTO items VALUES (42)"); err != nil {
		t.Fatal(err)
	}

	Restart(t)
	if _, err := old.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("connection opened before Restart still works")
	}
	var id int
	if err := connect(t, dsn).QueryRow(ctx, "SELECT id FROM items").Scan(&id); err != nil || id != 42 {
		t.Fatalf("after Restart: id=%d, err=%v; want 42", id, err)
	}

	Stop(t)
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Error("connected while the server was stopped")
	}
	Start(t)
	connect(t, dsn)
}
