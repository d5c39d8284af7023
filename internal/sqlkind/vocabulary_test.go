package sqlkind

import (
	"context"
	"maps"
	"os"
	"regexp"
	"slices"
	"testing"
)

// vocabulary has one statement per node of the statements table, with the
// kind it must get, and statements for the kinds refine picks.
var vocabulary = []struct{ node, sql, kind string }{
	{"SelectStmt", "select 1", "select"},
	{"InsertStmt", "insert into t values (1)", "insert"},
	{"UpdateStmt", "update t set a = 1", "update"},
	{"DeleteStmt", "delete from t", "delete"},
	{"MergeStmt", "merge into t using s on t.id = s.id when matched then delete", "merge"},
	{"CopyStmt", "copy t to stdout", "copy"},
	{"TruncateStmt", "truncate t", "truncate"},
	{"DropStmt", "drop table t", "drop"},
	{"DropdbStmt", "drop database d", "drop"},
	{"DropRoleStmt", "drop role r", "drop"},
	{"DropTableSpaceStmt", "drop tablespace ts", "drop"},
	{"DropOwnedStmt", "drop owned by r", "drop"},
	{"DropUserMappingStmt", "drop user mapping for r server s", "drop"},
	{"DropSubscriptionStmt", "drop subscription s", "drop"},
	{"DoStmt", "do $$begin null; end$$", "do"},
	{"CallStmt", "call p()", "call"},
	{"CreateFunctionStmt", "create function f() returns int language sql as 'select 1'", "create_function"},
	{"CreateFunctionStmt", "create procedure p() language sql as 'select 1'", "create_procedure"},
	{"AlterFunctionStmt", "alter function f() immutable", "alter_function"},
	{"PrepareStmt", "prepare p as select 1", "prepare"},
	{"ExecuteStmt", "execute p", "execute"},
	{"DeallocateStmt", "deallocate p", "deallocate"},
	{"GrantStmt", "grant select on t to r", "grant"},
	{"GrantStmt", "revoke select on t from r", "revoke"},
	{"GrantRoleStmt", "grant a to b", "grant"},
	{"GrantRoleStmt", "revoke a from b", "revoke"},
	{"AlterDefaultPrivilegesStmt", "alter default privileges grant select on tables to r", "alter_default_privileges"},
	{"CreateRoleStmt", "create role r", "create_role"},
	{"AlterRoleStmt", "alter role r nologin", "alter_role"},
	{"AlterRoleSetStmt", "alter role r set search_path = public", "alter_role"},
	{"ReassignOwnedStmt", "reassign owned by a to b", "reassign_owned"},
	{"CreatePolicyStmt", "create policy p on t using (true)", "create_policy"},
	{"AlterPolicyStmt", "alter policy p on t using (false)", "alter_policy"},
	{"VariableSetStmt", "set x = 1", "set"},
	{"VariableShowStmt", "show x", "show"},
	{"TransactionStmt", "begin", "transaction"},
	{"TransactionStmt", "prepare transaction 'x'", "prepare_transaction"},
	{"TransactionStmt", "commit prepared 'x'", "commit_prepared"},
	{"TransactionStmt", "rollback prepared 'x'", "rollback_prepared"},
	{"ConstraintsSetStmt", "set constraints all deferred", "set_constraints"},
	{"DiscardStmt", "discard all", "discard"},
	{"ListenStmt", "listen c", "listen"},
	{"UnlistenStmt", "unlisten c", "unlisten"},
	{"NotifyStmt", "notify c", "notify"},
	{"ExplainStmt", "explain select 1", "explain"},
	{"DeclareCursorStmt", "declare c cursor for select 1", "declare"},
	{"FetchStmt", "fetch c", "fetch"},
	{"ClosePortalStmt", "close c", "close"},
	{"LockStmt", "lock t", "lock"},
	{"CreateStmt", "create table t (a int)", "create_table"},
	{"CreateTableAsStmt", "create table t as select 1", "create_table_as"},
	{"CreateTableAsStmt", "create materialized view v as select 1", "create_materialized_view"},
	{"AlterTableStmt", "alter table t add column b int", "alter_table"},
	{"AlterTableMoveAllStmt", "alter table all in tablespace a set tablespace b", "alter_table"},
	{"RenameStmt", "alter table t rename to u", "rename"},
	{"AlterObjectSchemaStmt", "alter table t set schema s", "alter_set_schema"},
	{"AlterOwnerStmt", "alter function f() owner to r", "alter_owner"},
	{"AlterObjectDependsStmt", "alter function f() depends on extension e", "alter_depends"},
	{"CommentStmt", "comment on table t is 'x'", "comment"},
	{"SecLabelStmt", "security label on table t is 'x'", "security_label"},
	{"CreateSchemaStmt", "create schema s", "create_schema"},
	{"IndexStmt", "create index on t (a)", "create_index"},
	{"ReindexStmt", "reindex table t", "reindex"},
	{"ViewStmt", "create view v as select 1", "create_view"},
	{"RefreshMatViewStmt", "refresh materialized view v", "refresh_materialized_view"},
	{"RuleStmt", "create rule r as on insert to t do nothing", "create_rule"},
	{"CreateTrigStmt", "create trigger tr before insert on t for each row execute function f()", "create_trigger"},
	{"CreateEventTrigStmt", "create event trigger e on ddl_command_start execute function f()", "create_event_trigger"},
	{"AlterEventTrigStmt", "alter event trigger e disable", "alter_event_trigger"},
	{"CreateSeqStmt", "create sequence s", "create_sequence"},
	{"AlterSeqStmt", "alter sequence s restart", "alter_sequence"},
	{"DefineStmt", "create aggregate a(int) (sfunc = int4pl, stype = int)", "create_aggregate"},
	{"DefineStmt", "create operator === (function = f, leftarg = int)", "create_operator"},
	{"DefineStmt", "create collation c (locale = 'C')", "create_collation"},
	{"DefineStmt", "create text search dictionary d (template = simple)", "create_text_search"},
	{"DefineStmt", "create type t (input = i, output = o)", "create_type"},
	{"CompositeTypeStmt", "create type c as (a int)", "create_type"},
	{"CreateEnumStmt", "create type e as enum ('a')", "create_type"},
	{"CreateRangeStmt", "create type r as range (subtype = int4)", "create_type"},
	{"AlterEnumStmt", "alter type e add value 'b'", "alter_type"},
	{"AlterTypeStmt", "alter type c set (storage = plain)", "alter_type"},
	{"CreateDomainStmt", "create domain d as int", "create_domain"},
	{"AlterDomainStmt", "alter domain d set not null", "alter_domain"},
	{"AlterCollationStmt", "alter collation c refresh version", "alter_collation"},
	{"CreateStatsStmt", "create statistics s on a, b from t", "create_statistics"},
	{"AlterStatsStmt", "alter statistics s set statistics 100", "alter_statistics"},
	{"CreateCastStmt", "create cast (int as text) with inout", "create_cast"},
	{"CreateConversionStmt", "create conversion c for 'UTF8' to 'LATIN1' from f", "create_conversion"},
	{"CreateTransformStmt", "create transform for int language plpython3u (from sql with function f(internal))", "create_transform"},
	{"CreateOpClassStmt", "create operator class c for type int using btree as operator 1 <", "create_operator_class"},
	{"CreateOpFamilyStmt", "create operator family f using btree", "create_operator_family"},
	{"AlterOpFamilyStmt", "alter operator family f using btree add operator 1 < (int, int)", "alter_operator_family"},
	{"AlterOperatorStmt", "alter operator + (int, int) set (restrict = r)", "alter_operator"},
	{"CreateAmStmt", "create access method a type table handler h", "create_access_method"},
	{"CreatePLangStmt", "create language l handler h", "create_language"},
	{"AlterTSDictionaryStmt", "alter text search dictionary d (x = 1)", "alter_text_search"},
	{"AlterTSConfigurationStmt", "alter text search configuration c drop mapping for word", "alter_text_search"},
	{"CreateExtensionStmt", "create extension e", "create_extension"},
	{"AlterExtensionStmt", "alter extension e update", "alter_extension"},
	{"AlterExtensionContentsStmt", "alter extension e add table t", "alter_extension"},
	{"CreateFdwStmt", "create foreign data wrapper w", "create_foreign_data_wrapper"},
	{"AlterFdwStmt", "alter foreign data wrapper w options (add x '1')", "alter_foreign_data_wrapper"},
	{"CreateForeignServerStmt", "create server s foreign data wrapper w", "create_server"},
	{"AlterForeignServerStmt", "alter server s version '2'", "alter_server"},
	{"CreateForeignTableStmt", "create foreign table f (a int) server s", "create_foreign_table"},
	{"CreateUserMappingStmt", "create user mapping for r server s", "create_user_mapping"},
	{"AlterUserMappingStmt", "alter user mapping for r server s options (add user 'x')", "alter_user_mapping"},
	{"ImportForeignSchemaStmt", "import foreign schema p from server s into l", "import_foreign_schema"},
	{"CreatePublicationStmt", "create publication p for all tables", "create_publication"},
	{"AlterPublicationStmt", "alter publication p add table t", "alter_publication"},
	{"CreateSubscriptionStmt", "create subscription s connection 'x' publication p", "create_subscription"},
	{"AlterSubscriptionStmt", "alter subscription s disable", "alter_subscription"},
	{"CreateTableSpaceStmt", "create tablespace ts location '/x'", "create_tablespace"},
	{"AlterTableSpaceOptionsStmt", "alter tablespace ts set (seq_page_cost = 1)", "alter_tablespace"},
	{"CreatedbStmt", "create database d", "create_database"},
	{"AlterDatabaseStmt", "alter database d with connection limit 5", "alter_database"},
	{"AlterDatabaseSetStmt", "alter database d set x = 1", "alter_database"},
	{"AlterDatabaseRefreshCollStmt", "alter database d refresh collation version", "alter_database"},
	{"AlterSystemStmt", "alter system set x = 1", "alter_system"},
	{"VacuumStmt", "vacuum", "vacuum"},
	{"VacuumStmt", "analyze", "analyze"},
	{"ClusterStmt", "cluster t", "cluster"},
	{"CheckPointStmt", "checkpoint", "checkpoint"},
	{"LoadStmt", "load 'x'", "load"},
}

// TestVocabulary checks that every node the statements table names is the
// node the parser really produces for that statement, with the kind listed,
// and that the table has no entry without an example.
func TestVocabulary(t *testing.T) {
	ctx := context.Background()
	covered := map[string]bool{}
	for _, v := range vocabulary {
		t.Run(v.sql, func(t *testing.T) {
			tree, err := shared().parse(ctx, v.sql)
			if err != nil {
				t.Fatal(err)
			}
			stmts := list(tree["stmts"])
			if len(stmts) != 1 {
				t.Fatalf("%d statements", len(stmts))
			}
			node := slices.Collect(maps.Keys(child(stmts[0], "stmt")))
			if len(node) != 1 || node[0] != v.node {
				t.Fatalf("parses as %v, not %s", node, v.node)
			}
			covered[v.node] = true
			r, err := Classify(ctx, v.sql)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Kinds) == 0 || r.Kinds[0] != v.kind {
				t.Errorf("kinds %v, want %s first", r.Kinds, v.kind)
			}
			if _, listed := statements[v.node]; !listed {
				t.Errorf("%s is not in the statements table", v.node)
			}
		})
	}
	for node := range statements {
		if !covered[node] {
			t.Errorf("statements[%q] has no example in vocabulary", node)
		}
	}
}

// TestVocabularyDocumented checks that the package documentation lists every
// kind Classify can produce from the table and the refinements.
func TestVocabularyDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{"drop_column": true}
	for _, s := range statements {
		kinds[s.kind] = true
	}
	for _, v := range vocabulary {
		kinds[v.kind] = true
	}
	for kind := range kinds {
		if !regexp.MustCompile(`\b` + kind + `\b`).Match(doc) {
			t.Errorf("kind %s is not in doc.go", kind)
		}
	}
}

// An unknown statement node still gets a kind, and counts as a write.
func TestStatementNodeFallback(t *testing.T) {
	s, ok := statementNode("CreateFancyThingStmt")
	if !ok || s.kind != "create_fancy_thing" || s.read {
		t.Errorf("got %+v %v", s, ok)
	}
	for _, name := range []string{"ReplicaIdentityStmt", "ReturnStmt", "utilityStmt", "SelectClause"} {
		if _, ok := statementNode(name); ok {
			t.Errorf("%s is taken for a statement", name)
		}
	}
}
