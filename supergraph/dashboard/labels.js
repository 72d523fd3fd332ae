// What the screen says, in the hospital's language (pt-BR) or English: by the
// browser's language, or `?lang=en` / `?lang=pt`. Data (names the catalogue
// holds) is shown as it is; enum values stay the API's.
const PT = {
  'open requests': 'pedidos em aberto',
  'Log in': 'Entrar',
  'E-mail': 'E-mail',
  Password: 'Senha',
  Live: 'Ao vivo',
  'Not live': 'Fora do ar',
  'Connecting…': 'Conectando…',
  'Not live: reconnecting… what changes meanwhile appears when it is back.': 'Fora do ar: reconectando… o que mudar enquanto isso aparece quando voltar.',
  Unit: 'Unidade',
  Kind: 'Tipo',
  'All units': 'Todas as unidades',
  'All kinds': 'Todos os tipos',
  'Open work, most urgent first, oldest first within each priority; closed requests leave after a minute':
    'Trabalho em aberto, o mais urgente primeiro e, em cada prioridade, o mais antigo; os encerrados saem após um minuto',
  Priority: 'Prioridade',
  Status: 'Situação',
  Request: 'Pedido',
  Requester: 'Solicitante',
  Assignee: 'Responsável',
  Dispenser: 'Dispensário',
  Feedback: 'Retorno',
  Waiting: 'Espera',
  Actions: 'Ações',
  Accept: 'Aceitar',
  Reject: 'Recusar',
  open: 'em aberto',
  'Notify me when away': 'Avisar-me quando longe da tela',
  'Notifications on': 'Avisos ligados',
  'Notifications unavailable': 'Avisos indisponíveis',
  CONTROLLED: 'CONTROLADO',
  escalated: 'escalado',
  'Controlled: completing it needs a witness': 'Controlado: concluir exige uma testemunha',
};
const ENUMS_PT = {
  PENDING: 'Pendente', ACCEPTED: 'Aceito', PREPARING: 'Em preparo', IN_TRANSIT: 'A caminho', IN_PROGRESS: 'Em atendimento',
  COMPLETED: 'Concluído', CANCELLED: 'Cancelado', REJECTED: 'Recusado',
  STAT: 'STAT', ASAP: 'ASAP', URGENT: 'Urgente', ROUTINE: 'Rotina',
  MEDICINE: 'Medicamento', MATERIAL: 'Material', ASSISTANCE: 'Assistência',
  ampoule: 'ampola', vial: 'frasco-ampola', bottle: 'frasco', bag: 'bolsa', syringe: 'seringa', tablet: 'comprimido', capsule: 'cápsula',
  sachet: 'sachê', unit: 'unidade', pair: 'par', pack: 'pacote', box: 'caixa', roll: 'rolo', kit: 'kit',
  NURSE: 'enfermagem', CHARGE_NURSE: 'enfermagem (chefia)', PHARMACIST: 'farmácia', TECHNICIAN: 'técnico', ADMIN: 'administração',
};

const chosen = new URLSearchParams(location.search).get('lang') ?? navigator.language;
export const LANG = chosen.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';

/** A label of the screen. */
export const t = (text) => (LANG === 'pt-BR' ? PT[text] ?? text : text);

/** An enum value as people read it (English: the value itself, spaced). */
export const label = (value) => (LANG === 'pt-BR' ? ENUMS_PT[value] ?? value : value.replace('_', ' '));

/** Translates the page's static texts (elements marked `data-t`). */
export function translatePage() {
  document.documentElement.lang = LANG;
  for (const element of document.querySelectorAll('[data-t]')) element.textContent = t(element.textContent.trim());
}
