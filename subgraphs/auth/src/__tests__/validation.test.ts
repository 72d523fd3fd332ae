import { normaliseEmail, validEmail } from '../validation';

describe('e-mails', () => {
  it('are stored in one form: NFKC, without invisible characters, trimmed, lower-case', () => {
    expect(normaliseEmail(' Nurse@Asky.Local ')).toBe('nurse@asky.local');
    expect(normaliseEmail('nur\u200Bse@asky.local')).toBe('nurse@asky.local'); // zero-width space
    expect(normaliseEmail('nurse\u00AD@asky.local')).toBe('nurse@asky.local'); // soft hyphen
    expect(normaliseEmail('\uFF4Eurse@asky.local')).toBe('nurse@asky.local'); // fullwidth n
  });

  it('refuse a letter of another script that looks like a Latin one, with BAD_USER_INPUT', () => {
    for (const lookAlike of ['nurse@\u0430sky.local', 'n\u03BFrse@asky.local', 'nurse@asky.loc\u0430l']) {
      expect(() => validEmail(lookAlike)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'email' } }),
      );
    }
    expect(validEmail('Ana.Souza+plantao@xn--hospital-so-paulo-wob.br')).toBe(
      'ana.souza+plantao@xn--hospital-so-paulo-wob.br',
    );
  });
});
