// What RDS documents per engine about a DB instance's names and versions,
// as CEL rules on forProvider. They are checked at admission, so a wrong
// value gets its answer from the API server, whichever endpoint is used
// (emulators accept anything). Versions are checked by their format and by a
// range of majors, not against a list of the versions RDS offers today: such
// a list goes stale within months. The range reaches back to every major RDS
// has ever run, because late initialization copies the version an instance
// reports into the spec (an old, adopted instance; moto reports PostgreSQL
// 9.3.3), and forward with room for the next ones. A version that has the
// right shape but that RDS does not offer is refused by RDS at create
// (InvalidParameterCombination), a terminal condition.

/** Engine families: the engines that share one set of rules. */
export const ENGINE_FAMILIES = {
  postgres: ["postgres"],
  mysql: ["mysql"],
  mariadb: ["mariadb"],
  oracle: ["oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb"],
  sqlserver: ["sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web"],
  db2: ["db2-ae", "db2-se"],
} as const;
export type EngineFamily = keyof typeof ENGINE_FAMILIES;

interface FamilyRules {
  /** For messages. */
  title: string;
  /** RE2 pattern of an engineVersion, whole or a prefix of one ("16", "16.4"). */
  version: string;
  versionExamples: string;
  /** Longest master user name RDS accepts for the engine. */
  maxMasterUsername: number;
  /** Longest dbName; 0 when the engine takes none. */
  maxDbName: number;
}

/**
 * Majors: PostgreSQL 9.3 to 29, MySQL 5.1 to 9.x, MariaDB 10 to 12, Oracle 11
 * to 29, SQL Server 10.50 (2008 R2) to 19, Db2 11 to 19: a new major release
 * does not need a new setpoint. Master user lengths: the
 * limits RDS applies per engine (PostgreSQL 63, MySQL 32, MariaDB 16, Oracle
 * 30, SQL Server 128, Db2 16); dbName: PostgreSQL 63, MySQL and MariaDB 64,
 * the Oracle SID 8, Db2 8, and none for SQL Server.
 */
export const FAMILY_RULES: Readonly<Record<EngineFamily, FamilyRules>> = {
  postgres: {
    title: "PostgreSQL",
    version: "^(9\\.[3-6]|[1-2][0-9])(\\.[0-9]+)?(-rds\\.[0-9]+)?$",
    versionExamples: '"16" or "16.4" (9.3 to 9.6, and majors 10 to 29)',
    maxMasterUsername: 63,
    maxDbName: 63,
  },
  mysql: {
    title: "MySQL",
    version: "^(5\\.[1-7]|[89]\\.[0-9]+)(\\.[0-9]+)?(-rds\\.[0-9]+)?$",
    versionExamples: '"8.0" or "8.0.39" (5.1 to 5.7, 8.x and 9.x)',
    maxMasterUsername: 32,
    maxDbName: 64,
  },
  mariadb: {
    title: "MariaDB",
    version: "^1[0-2]\\.[0-9]+(\\.[0-9]+)?$",
    versionExamples: '"10.11" or "10.11.9" (10.x to 12.x)',
    maxMasterUsername: 16,
    maxDbName: 64,
  },
  oracle: {
    title: "Oracle",
    version:
      "^(1[1-9]|2[0-9])(\\.[0-9]+)*(\\.v[0-9]+|\\.ru-[0-9]{4}-[0-9]{2}\\.rur-[0-9]{4}-[0-9]{2}\\.r[0-9]+)?$",
    versionExamples: '"19" or "19.0.0.0.ru-2024-10.rur-2024-10.r1" (majors 11 to 29)',
    maxMasterUsername: 30,
    maxDbName: 8,
  },
  sqlserver: {
    title: "SQL Server",
    version: "^(10\\.50|1[1-9]\\.00)(\\.[0-9]+)*(\\.v[0-9]+)?$",
    versionExamples: '"15.00" or "16.00.4165.4.v1" (10.50 and majors 11 to 19)',
    maxMasterUsername: 128,
    maxDbName: 0,
  },
  db2: {
    title: "Db2",
    version: "^1[1-9]\\.[0-9]+(\\.[0-9]+)*(\\.sb[0-9]+\\.r[0-9]+)?$",
    versionExamples: '"11.5" or "11.5.9.0.sb00000000.r1"',
    maxMasterUsername: 16,
    maxDbName: 8,
  },
};

/** The master user names RDS itself keeps: its management user on every engine. */
export const RESERVED_MASTER_USERNAMES = ["rdsadmin"] as const;
/** PostgreSQL refuses "admin" as the master user on RDS, and reserves roles starting with pg_. */
export const RESERVED_POSTGRES_MASTER_USERNAMES = ["admin"] as const;

interface Rule {
  rule: string;
  message: string;
  fieldPath: string;
}

function inFamily(family: EngineFamily): string {
  return `(self.engine in [${ENGINE_FAMILIES[family].map((e) => `'${e}'`).join(", ")}])`;
}

const list = (words: readonly string[]) => `[${words.map((w) => `'${w}'`).join(", ")}]`;

/** The engine-specific CEL rules on forProvider. */
export function engineRules(): Rule[] {
  const rules: Rule[] = [];
  for (const family of Object.keys(FAMILY_RULES) as EngineFamily[]) {
    const f = FAMILY_RULES[family];
    rules.push({
      rule: `!${inFamily(family)} || !has(self.engineVersion) || self.engineVersion.matches(r'${f.version}')`,
      message: `engineVersion is not a ${f.title} version: use one like ${f.versionExamples}, or leave it out for the default`,
      fieldPath: ".engineVersion",
    });
    rules.push({
      rule: `!${inFamily(family)} || size(self.masterUsername) <= ${f.maxMasterUsername}`,
      message: `masterUsername may have at most ${f.maxMasterUsername} characters for ${f.title}`,
      fieldPath: ".masterUsername",
    });
    rules.push(
      f.maxDbName === 0
        ? {
            rule: `!${inFamily(family)} || !has(self.dbName)`,
            message: `dbName is not supported for ${f.title}: leave it out`,
            fieldPath: ".dbName",
          }
        : {
            rule: `!${inFamily(family)} || !has(self.dbName) || size(self.dbName) <= ${f.maxDbName}`,
            message: `dbName may have at most ${f.maxDbName} characters for ${f.title}`,
            fieldPath: ".dbName",
          },
    );
  }
  rules.push({
    rule: `!(self.masterUsername.lowerAscii() in ${list(RESERVED_MASTER_USERNAMES)})`,
    message: `masterUsername ${RESERVED_MASTER_USERNAMES.join(", ")} is reserved by RDS: choose another name`,
    fieldPath: ".masterUsername",
  });
  rules.push({
    rule: `!${inFamily("postgres")} || !(self.masterUsername.lowerAscii() in ${list(RESERVED_POSTGRES_MASTER_USERNAMES)} || self.masterUsername.lowerAscii().startsWith('pg_'))`,
    message: `masterUsername ${RESERVED_POSTGRES_MASTER_USERNAMES.join(", ")} and names starting with pg_ are reserved by PostgreSQL: choose another name`,
    fieldPath: ".masterUsername",
  });
  rules.push({
    // RDS for SQL Server keeps these ports for itself (CreateDBInstance, Port).
    rule: `!${inFamily("sqlserver")} || !has(self.port) || !(self.port in [1234, 1434, 3260, 3343, 3389, 47001] || (self.port >= 49152 && self.port <= 49156))`,
    message: "port 1234, 1434, 3260, 3343, 3389, 47001 and 49152 to 49156 are reserved by RDS for SQL Server",
    fieldPath: ".port",
  });
  return rules;
}
