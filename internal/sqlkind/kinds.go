package sqlkind

import (
	"strings"
	"unicode"
)

// stmt describes one parse-tree statement node.
type stmt struct {
	kind string
	read bool // a plain read, unless its contents say otherwise
}

// statements maps PostgreSQL 17's statement nodes (as libpg_query names them)
// to kinds. A node ending in "Stmt" that is missing here gets a kind derived
// from its name and counts as a write; TestVocabulary checks every entry
// against real SQL.
var statements = map[string]stmt{
	// Data.
	"SelectStmt":   {"select", true}, // with INTO: create_table_as; FOR UPDATE etc.: a write
	"InsertStmt":   {"insert", false},
	"UpdateStmt":   {"update", false},
	"DeleteStmt":   {"delete", false},
	"MergeStmt":    {"merge", false},
	"CopyStmt":     {"copy", true}, // FROM, or TO a server file or program: a write
	"TruncateStmt": {"truncate", false},

	// Every DROP is "drop".
	"DropStmt":             {"drop", false},
	"DropdbStmt":           {"drop", false},
	"DropRoleStmt":         {"drop", false},
	"DropTableSpaceStmt":   {"drop", false},
	"DropOwnedStmt":        {"drop", false},
	"DropUserMappingStmt":  {"drop", false},
	"DropSubscriptionStmt": {"drop", false},

	// Code and dynamic SQL.
	"DoStmt":             {"do", false},
	"CallStmt":           {"call", false},
	"CreateFunctionStmt": {"create_function", false}, // create_procedure for a procedure
	"AlterFunctionStmt":  {"alter_function", false},
	"PrepareStmt":        {"prepare", true},
	"ExecuteStmt":        {"execute", false},
	"DeallocateStmt":     {"deallocate", true},

	// Privileges and roles.
	"GrantStmt":                  {"grant", false}, // revoke when it revokes
	"GrantRoleStmt":              {"grant", false}, // revoke when it revokes
	"AlterDefaultPrivilegesStmt": {"alter_default_privileges", false},
	"CreateRoleStmt":             {"create_role", false},
	"AlterRoleStmt":              {"alter_role", false},
	"AlterRoleSetStmt":           {"alter_role", false},
	"ReassignOwnedStmt":          {"reassign_owned", false},
	"CreatePolicyStmt":           {"create_policy", false},
	"AlterPolicyStmt":            {"alter_policy", false},

	// Session and transaction: they change no data; what runs after them is
	// classified on its own.
	"VariableSetStmt":    {"set", true}, // SET and RESET
	"VariableShowStmt":   {"show", true},
	"TransactionStmt":    {"transaction", true}, // two-phase commit kinds are writes
	"ConstraintsSetStmt": {"set_constraints", true},
	"DiscardStmt":        {"discard", true},
	"ListenStmt":         {"listen", true},
	"UnlistenStmt":       {"unlisten", true},
	"NotifyStmt":         {"notify", false},
	"ExplainStmt":        {"explain", true}, // the explained statement is classified too
	"DeclareCursorStmt":  {"declare", true}, // its query is classified too
	"FetchStmt":          {"fetch", true},   // FETCH and MOVE
	"ClosePortalStmt":    {"close", true},
	"LockStmt":           {"lock", false},

	// Schema objects.
	"CreateStmt":                   {"create_table", false},
	"CreateTableAsStmt":            {"create_table_as", false}, // create_materialized_view for one
	"AlterTableStmt":               {"alter_table", false},     // also ALTER INDEX/VIEW/SEQUENCE ... forms; drop_column too when it drops one
	"AlterTableMoveAllStmt":        {"alter_table", false},
	"RenameStmt":                   {"rename", false},
	"AlterObjectSchemaStmt":        {"alter_set_schema", false},
	"AlterOwnerStmt":               {"alter_owner", false},
	"AlterObjectDependsStmt":       {"alter_depends", false},
	"CommentStmt":                  {"comment", false},
	"SecLabelStmt":                 {"security_label", false},
	"CreateSchemaStmt":             {"create_schema", false}, // its elements are classified too
	"IndexStmt":                    {"create_index", false},
	"ReindexStmt":                  {"reindex", false},
	"ViewStmt":                     {"create_view", false},
	"RefreshMatViewStmt":           {"refresh_materialized_view", false},
	"RuleStmt":                     {"create_rule", false}, // its actions are classified too
	"CreateTrigStmt":               {"create_trigger", false},
	"CreateEventTrigStmt":          {"create_event_trigger", false},
	"AlterEventTrigStmt":           {"alter_event_trigger", false},
	"CreateSeqStmt":                {"create_sequence", false},
	"AlterSeqStmt":                 {"alter_sequence", false},
	"DefineStmt":                   {"create_type", false}, // create_aggregate, create_operator, create_collation, create_text_search ... by object
	"CompositeTypeStmt":            {"create_type", false},
	"CreateEnumStmt":               {"create_type", false},
	"CreateRangeStmt":              {"create_type", false},
	"AlterEnumStmt":                {"alter_type", false},
	"AlterTypeStmt":                {"alter_type", false},
	"CreateDomainStmt":             {"create_domain", false},
	"AlterDomainStmt":              {"alter_domain", false},
	"AlterCollationStmt":           {"alter_collation", false},
	"CreateStatsStmt":              {"create_statistics", false},
	"AlterStatsStmt":               {"alter_statistics", false},
	"CreateCastStmt":               {"create_cast", false},
	"CreateConversionStmt":         {"create_conversion", false},
	"CreateTransformStmt":          {"create_transform", false},
	"CreateOpClassStmt":            {"create_operator_class", false},
	"CreateOpFamilyStmt":           {"create_operator_family", false},
	"AlterOpFamilyStmt":            {"alter_operator_family", false},
	"AlterOperatorStmt":            {"alter_operator", false},
	"CreateAmStmt":                 {"create_access_method", false},
	"CreatePLangStmt":              {"create_language", false},
	"AlterTSDictionaryStmt":        {"alter_text_search", false},
	"AlterTSConfigurationStmt":     {"alter_text_search", false},
	"CreateExtensionStmt":          {"create_extension", false},
	"AlterExtensionStmt":           {"alter_extension", false},
	"AlterExtensionContentsStmt":   {"alter_extension", false},
	"CreateFdwStmt":                {"create_foreign_data_wrapper", false},
	"AlterFdwStmt":                 {"alter_foreign_data_wrapper", false},
	"CreateForeignServerStmt":      {"create_server", false},
	"AlterForeignServerStmt":       {"alter_server", false},
	"CreateForeignTableStmt":       {"create_foreign_table", false},
	"CreateUserMappingStmt":        {"create_user_mapping", false},
	"AlterUserMappingStmt":         {"alter_user_mapping", false},
	"ImportForeignSchemaStmt":      {"import_foreign_schema", false},
	"CreatePublicationStmt":        {"create_publication", false},
	"AlterPublicationStmt":         {"alter_publication", false},
	"CreateSubscriptionStmt":       {"create_subscription", false},
	"AlterSubscriptionStmt":        {"alter_subscription", false},
	"CreateTableSpaceStmt":         {"create_tablespace", false},
	"AlterTableSpaceOptionsStmt":   {"alter_tablespace", false},
	"CreatedbStmt":                 {"create_database", false},
	"AlterDatabaseStmt":            {"alter_database", false},
	"AlterDatabaseSetStmt":         {"alter_database", false},
	"AlterDatabaseRefreshCollStmt": {"alter_database", false},
	"AlterSystemStmt":              {"alter_system", false},

	// Maintenance.
	"VacuumStmt":     {"vacuum", false}, // analyze for ANALYZE
	"ClusterStmt":    {"cluster", false},
	"CheckPointStmt": {"checkpoint", false},
	"LoadStmt":       {"load", false},
}

// notStatements end in "Stmt" but are parts of statements.
var notStatements = map[string]bool{
	"ReplicaIdentityStmt": true, // ALTER TABLE ... REPLICA IDENTITY
	"SetOperationStmt":    true, // only in analysed trees
	"ReturnStmt":          true, // RETURN inside a BEGIN ATOMIC body
	"PLAssignStmt":        true, // only when parsing PL/pgSQL assignments
	"RawStmt":             true,
}

// statementNode reports whether a parse-tree key names a statement.
func statementNode(name string) (stmt, bool) {
	if s, ok := statements[name]; ok {
		return s, true
	}
	if !isNodeName(name) || !strings.HasSuffix(name, "Stmt") || notStatements[name] {
		return stmt{}, false
	}
	// A statement newer than this table: name it, and count it as a write.
	return stmt{kind: snake(strings.TrimSuffix(name, "Stmt"))}, true
}

// snake turns "CreateFooBar" into "create_foo_bar".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// refine picks the kind of statements whose node covers several, and says
// whether the node's flags make it a write.
func refine(name string, s stmt, n map[string]any) stmt {
	switch name {
	case "GrantStmt", "GrantRoleStmt":
		if !boolField(n, "is_grant") {
			s.kind = "revoke"
		}
	case "CreateFunctionStmt":
		if boolField(n, "is_procedure") {
			s.kind = "create_procedure"
		}
	case "CreateTableAsStmt":
		if strField(n, "objtype") == "OBJECT_MATVIEW" {
			s.kind = "create_materialized_view"
		}
	case "SelectStmt":
		if n["intoClause"] != nil {
			s = stmt{kind: "create_table_as"}
		} else if n["lockingClause"] != nil {
			s.read = false // FOR UPDATE and friends lock rows: refused in a read-only transaction
		}
	case "VacuumStmt":
		if !boolField(n, "is_vacuumcmd") {
			s.kind = "analyze"
		}
	case "CopyStmt":
		// COPY ... TO STDOUT reads; FROM writes, and TO a file or program
		// writes on the server.
		if boolField(n, "is_from") || boolField(n, "is_program") || strField(n, "filename") != "" {
			s.read = false
		}
	case "TransactionStmt":
		switch strField(n, "kind") {
		case "TRANS_STMT_PREPARE":
			s = stmt{kind: "prepare_transaction"}
		case "TRANS_STMT_COMMIT_PREPARED":
			s = stmt{kind: "commit_prepared"}
		case "TRANS_STMT_ROLLBACK_PREPARED":
			s = stmt{kind: "rollback_prepared"}
		}
	case "DefineStmt":
		s.kind = defineKind(strField(n, "kind"))
	}
	return s
}

// defineKind names a DefineStmt by the object it creates.
func defineKind(objtype string) string {
	obj := strings.ToLower(strings.TrimPrefix(objtype, "OBJECT_"))
	switch {
	case obj == "":
		return "create_type"
	case strings.HasPrefix(obj, "ts"): // tsparser, tsdictionary, tstemplate, tsconfiguration
		return "create_text_search"
	}
	return "create_" + obj
}

func boolField(n map[string]any, key string) bool {
	b, _ := n[key].(bool)
	return b
}

func strField(n map[string]any, key string) string {
	s, _ := n[key].(string)
	return s
}
