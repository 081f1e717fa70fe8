import { redactQuotedValues, serializeErrorSafely, sqlShape } from './log-redaction';

describe('log redaction', () => {
  it('when a statement has literals, then its shape keeps identifiers and replaces every value', () => {
    expect(sqlShape("UPDATE `users` SET nickname = 'Alice', login_count = 12, t1 = -3.5e2\n   WHERE id = 0x1F AND `col2` = \"x\" LIMIT 20")).toBe(
      'UPDATE `users` SET nickname = ?, login_count = ?, t1 = ? WHERE id = ? AND `col2` = ? LIMIT ?',
    );
    expect(sqlShape("SELECT * FROM orders WHERE note = 'it''s' AND UTC_TIMESTAMP(3) > ?")).toBe('SELECT * FROM orders WHERE note = ? AND UTC_TIMESTAMP(?) > ?');
  });

  it('when MySQL quotes a value in its message, then the value goes and the key or column name stays', () => {
    expect(redactQuotedValues("Duplicate entry '13800138000' for key 'uq_users_phone'")).toBe("Duplicate entry '?' for key 'uq_users_phone'");
    expect(redactQuotedValues("Incorrect string value: '\\xF0\\x9F' for column 'nickname' at row 1")).toBe("Incorrect string value: '?' for column 'nickname' at row 1");
    expect(redactQuotedValues("Check constraint 'ck_orders_payable' is violated")).toBe("Check constraint 'ck_orders_payable' is violated");
  });

  it('when a query error is serialized, then parameters and the spliced sql are gone, nested errors included', () => {
    const driverError = Object.assign(new Error("Duplicate entry 'secret@x' for key 'uq'"), { code: 'ER_DUP_ENTRY', sql: "INSERT INTO t (a) VALUES ('secret@x')" });
    const err = Object.assign(new Error(driverError.message), { name: 'QueryFailedError', query: "INSERT INTO t (a) VALUES (?)", parameters: ['secret@x'], driverError, sql: driverError.sql, code: 'ER_DUP_ENTRY' });
    const out = serializeErrorSafely(err) as Record<string, unknown>;
    expect(JSON.stringify(out)).not.toContain('secret');
    expect(out).toMatchObject({ query: 'INSERT INTO t (a) VALUES (?)', code: 'ER_DUP_ENTRY', message: "Duplicate entry '?' for key 'uq'" });
    expect((out.driverError as Record<string, unknown>).code).toBe('ER_DUP_ENTRY');
    expect(serializeErrorSafely("Duplicate entry 'secret@x' for key 'uq'")).toBe("Duplicate entry '?' for key 'uq'");
  });
});
