import { FieldCipher, hashPassword, maskPhone, verifyPassword } from './crypto';

describe('FieldCipher', () => {
  const cipher = new FieldCipher('11'.repeat(32));
  it('when a value is encrypted twice, then the ciphertexts differ and both decrypt', () => {
    const a = cipher.encrypt('13812345678');
    const b = cipher.encrypt('13812345678');
    expect(a).not.toBe(b);
    expect(cipher.decrypt(a)).toBe('13812345678');
    expect(cipher.decrypt(b)).toBe('13812345678');
  });
  it('when a ciphertext is tampered with, then decryption fails', () => {
    const a = cipher.encrypt('13812345678');
    const parts = a.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
  });
  it('when another key decrypts, then it fails', () => {
    expect(() => new FieldCipher('22'.repeat(32)).decrypt(cipher.encrypt('x'))).toThrow();
  });
  it('blind index is stable per key', () => {
    expect(cipher.blindIndex('13812345678')).toBe(cipher.blindIndex('13812345678'));
    expect(cipher.blindIndex('13812345678')).not.toBe(new FieldCipher('22'.repeat(32)).blindIndex('13812345678'));
  });
});

describe('maskPhone', () => {
  it('masks the middle four digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone(null)).toBeNull();
  });
});

describe('passwords', () => {
  it('when the password is right, then it verifies; when wrong, then not', async () => {
    const h = await hashPassword('s3cret-pass');
    expect(h.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('s3cret-pass', h)).toBe(true);
    expect(await verifyPassword('s3cret-pasS', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});
