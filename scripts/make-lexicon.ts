/**
 * Builds `src/data/lexicon.ts`, the name lists of the synthetic NER corpus, from maintained data
 * packages (development dependencies only, so neither is installed with tokentag nor loaded when
 * the CLI starts):
 *
 * - `@faker-js/faker` (MIT): first and last names of ~35 Latin-script locales, real cities,
 *   states and regions of ~30 countries, airlines, airports, publishers, car makers and models,
 *   book titles, authors, songs and albums, languages, nationalities, US streets.
 * - `countries-list` (MIT): every country's English name, its common aliases and its capital.
 *
 * plus the short lists below that no package has (romanised names of cultures faker writes in
 * their own scripts, well-known companies and organisations, world cities, landmarks, events,
 * products).
 *
 * Every entry goes to one of two tiers by a hash of its lower-cased text: about 15% are
 * `heldOut` (only the synthetic validation and test splits use them), the rest `train`. The
 * entity strings of `examples/real-sentences` are forced into `heldOut` and listed in
 * `TRAIN_EXCLUDED`, so that no training entity contains one: that hand set then measures how the
 * model tags names it has never seen. The generator itself never reads the hand set.
 *
 *   npx tsx scripts/make-lexicon.ts            # rewrites src/data/lexicon.ts
 *   npx tsx scripts/make-lexicon.ts --check    # exits 1 if the committed file is out of date
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allLocales, type LocaleDefinition } from '@faker-js/faker';
import { countries, languages } from 'countries-list';
import { hashString } from '../src/data/rng.ts';
import { splitWords } from '../src/data/words.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { readMarkedSentences } from './real-sentences.ts';

const TARGET = fileURLToPath(new URL('../src/data/lexicon.ts', import.meta.url));
const HELD_OUT_PERCENT = 15;

// ---------------------------------------------------------------------------------------------
// Lists no package has. Keep each short: the point is variety of shape and culture, not coverage.

const EXTRA_FIRST = `Wei Fang Jing Lei Min Xiaoming Yan Hui Jun Ling Chen Hao Yu Zhiwei Xin Mei Qiang Tao Lin Bo
Haruto Yuki Sakura Kenji Hiroshi Aiko Takeshi Yui Ren Sota Naoko Akira Hana Daiki Emi Kaito Riko Shota
Min-jun Seo-yeon Ji-hoon Ji-woo Hyun-woo Soo-ah Dong-hyun Eun-ji Jae-won Ha-eun
Mohammed Muhammad Ahmad Omar Ali Hassan Hussein Khalid Youssef Ibrahim Mustafa Tariq Karim Samir Nabil
Fatima Aisha Layla Mariam Noor Yasmin Zainab Huda Salma Rania Amira Hala
Ivan Sergei Dmitry Alexei Nikolai Vladimir Mikhail Andrei Yuri Pavel Olga Natalia Svetlana Irina Tatiana Yulia Ekaterina Anastasia
Oksana Taras Bohdan Mykola Kateryna
Arjun Rohan Vikram Rahul Anil Sunil Deepak Ananya Kavya Lakshmi Meera Pooja Sanjay Amit Neha
Reza Dariush Parisa Shirin Ardeshir Navid Leyla
Yosef Avi Noa Tamar Eitan Shira Yael Moshe
Nikos Eleni Giorgos Dimitra Kostas Sofia Yannis
Baraka Amani Juma Neema Wanjiru Otieno Achieng Kamau Zawadi Chege
Somchai Niran Malee Anong Kittisak
Thabo Sipho Nomvula Lerato Themba`;

const EXTRA_LAST = `Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Zheng
Sato Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Matsumoto Inoue Kimura Hayashi Shimizu
Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin
Al-Sayed Haddad Nasser Khoury Mansour Hamdan Saleh Abdullah Rahman Farouk Aziz Qureshi Hashemi Al-Masri Bakr
Ivanov Smirnov Kuznetsov Popov Volkov Sokolov Lebedev Kozlov Novikov Morozov Petrova Ivanova Pavlova Orlov
Shevchenko Bondarenko Kovalenko Tkachenko Melnyk
Sharma Patel Singh Gupta Kumar Reddy Iyer Nair Rao Mehta Chatterjee Banerjee Desai Joshi Kapoor
Tehrani Karimi Ahmadi Rostami Moradi
Cohen Levi Mizrahi Friedman Katz Shapiro
Papadopoulos Georgiou Nikolaidis Christodoulou Pappas
Mwangi Otieno Kariuki Njoroge Wambui Mutua Odhiambo Kiptoo
Srisuk Chaiyaporn Wongsawat
Dlamini Nkosi Ndlovu Khumalo Mthembu`;

/** Well-known companies (ORG). */
const EXTRA_COMPANIES = `Apple|Google|Microsoft|Amazon|Meta|Tesla|Netflix|Samsung|Sony|IBM|Intel|Nvidia|Oracle|Cisco|Adobe|Salesforce
|Spotify|Uber|Airbnb|Twitter|LinkedIn|PayPal|eBay|Alibaba|Tencent|Baidu|Huawei|Xiaomi|Lenovo|ByteDance|TikTok
|Toyota|Honda|Nissan|Hyundai|Kia|Volkswagen|BMW|Mercedes-Benz|Daimler|Renault|Peugeot|Fiat|Ford|General Motors
|Boeing|Airbus|Lockheed Martin|Siemens|Bosch|Philips|Nestlé|Unilever|Procter & Gamble|Coca-Cola|PepsiCo|McDonald's
|Starbucks|Walmart|Target|Costco|IKEA|H&M|Zara|Inditex|Nike|Adidas|Puma|Shell|BP|ExxonMobil|Chevron|TotalEnergies
|Gazprom|Saudi Aramco|Pfizer|Moderna|Novartis|Roche|AstraZeneca|Bayer|Johnson & Johnson|Merck|Sanofi|GlaxoSmithKline
|Goldman Sachs|JPMorgan Chase|Morgan Stanley|Citigroup|HSBC|Barclays|Deutsche Bank|UBS|Credit Suisse|BNP Paribas
|Santander|ING|Visa|Mastercard|American Express|BlackRock|Deloitte|PwC|KPMG|Ernst & Young|Accenture|McKinsey
|Dell|HP|Hewlett-Packard|Panasonic|Canon|Nikon|Nintendo|Sega|Ubisoft|Electronic Arts|Activision Blizzard
|Disney|Warner Bros|Universal Music|Paramount|Pixar|Vodafone|Orange|Telefónica|Verizon|AT&T|T-Mobile|Deutsche Telekom
|Ericsson|Nokia|ASML|SAP|Infosys|Tata Motors|Reliance Industries|Wipro|Mitsubishi|Hitachi|Toshiba|Fujitsu
|Rolls-Royce|Ferrari|Volvo|Heineken|Carlsberg|Danone|L'Oréal|LVMH|Gucci|Prada|Hermès|Rolex|Lego|Maersk
|FedEx|UPS|DHL|Ryanair|easyJet|Lufthansa|Emirates|Qantas|OpenAI|Anthropic|DeepMind|Hugging Face|GitHub|Mozilla
|Red Hat|Canonical|Dropbox|Slack|Zoom|Shopify|Stripe|Square|Revolut|Klarna|Booking.com|Expedia|Tripadvisor|Yahoo
|Reddit|Pinterest|Snapchat|Instagram|WhatsApp|YouTube|Wikipedia|Walgreens|CVS|Kroger|Tesco|Carrefour|Aldi|Lidl`;

/** International and national organisations, agencies, NGOs, media (ORG). */
const EXTRA_ORGS = `United Nations|UN|UNESCO|UNICEF|World Health Organization|WHO|World Bank|International Monetary Fund|IMF
|NATO|European Union|EU|European Commission|European Parliament|European Central Bank|World Trade Organization|WTO
|OPEC|African Union|ASEAN|Red Cross|Red Crescent|Amnesty International|Human Rights Watch|Greenpeace|Oxfam
|Doctors Without Borders|Save the Children|WWF|Gates Foundation|Wikimedia Foundation|FIFA|UEFA|International Olympic Committee
|IOC|NBA|NFL|NHL|Formula One|NASA|ESA|SpaceX|FBI|CIA|NSA|Pentagon|Kremlin
|Federal Reserve|Bank of Japan|Bundesbank|Interpol|Europol|Scotland Yard|MIT|Harvard|Harvard University|Yale
|Oxford University|Cambridge University|Stanford|Princeton|Sorbonne|ETH Zurich|Imperial College London
|London School of Economics|Labour Party|Conservative Party|Democratic Party|Republican Party|Green Party
|Social Democrats|Christian Democratic Union|CDU|SPD|Liberal Democrats|Senate|Congress|Bundestag|Parliament
|Supreme Court|Ministry of Defence|Ministry of Finance|Home Office|State Department|Department of Justice
|Environmental Protection Agency|Food and Drug Administration|National Health Service|NHS|Salvation Army|YMCA`;

/** Sports clubs (ORG). */
const EXTRA_CLUBS = `Real Madrid|FC Barcelona|Bayern Munich|Juventus|AC Milan|Inter Milan|Liverpool|Arsenal|Chelsea|Tottenham
|Manchester City|Paris Saint-Germain|Benfica|Porto|Celtic|Rangers|Ajax|Borussia Dortmund|Atlético Madrid|Napoli
|New York Yankees|Boston Red Sox|Los Angeles Lakers|Golden State Warriors|Chicago Bulls|Miami Heat|Dallas Cowboys
|New England Patriots|Green Bay Packers|All Blacks|Springboks|Toronto Raptors|Montreal Canadiens|Flamengo|Boca Juniors`;

/** Newspapers, broadcasters, agencies (ORG). */
const EXTRA_MEDIA = `BBC|CNN|Reuters|Associated Press|AP|AFP|Bloomberg|Al Jazeera|The Guardian|Guardian|Financial Times
|Washington Post|Wall Street Journal|Le Monde|Der Spiegel|El País|Fox News|NBC|CBS|ABC News|Sky News|Deutsche Welle
|Euronews|The Economist|Time|Forbes|Politico|Axios|BuzzFeed|Vice|Daily Mail|The Sun|Le Figaro|Corriere della Sera`;

/** Cities (LOC) that are neither capitals nor in faker's lists. */
const EXTRA_CITIES = `New York|Los Angeles|San Francisco|Chicago|Boston|Toronto|Montreal|Vancouver|Sydney|Melbourne|Brisbane
|Perth|Auckland|Shanghai|Hong Kong|Shenzhen|Guangzhou|Chengdu|Osaka|Kyoto|Yokohama|Busan|Mumbai|Bangalore|Chennai
|Kolkata|Karachi|Lahore|Istanbul|Dubai|Abu Dhabi|Jeddah|Alexandria|Casablanca|Marrakesh|Lagos|Johannesburg|Cape Town
|Durban|Mombasa|Rio de Janeiro|São Paulo|Salvador|Medellín|Guadalajara|Monterrey|Barcelona|Milan|Naples|Venice
|Florence|Munich|Hamburg|Frankfurt|Cologne|Manchester|Liverpool|Birmingham|Glasgow|Edinburgh|Marseille|Lyon|Nice
|Rotterdam|Antwerp|Geneva|Zurich|Gothenburg|Kraków|St Petersburg|Novosibirsk|Odesa|Kharkiv|Brooklyn|Queens|Manhattan
|Silicon Valley|Hollywood|Las Vegas|New Orleans|Detroit|Atlanta|Philadelphia|Dallas|Denver|Phoenix|Seattle|Portland`;

/** Regions, continents, islands, seas, rivers, mountains (LOC). */
const EXTRA_REGIONS = `Europe|Asia|Africa|North America|South America|Latin America|Antarctica|Oceania|Middle East|Southeast Asia
|Central Asia|East Africa|West Africa|Scandinavia|the Balkans|Balkans|Caribbean|Mediterranean|Sahara|Siberia|Patagonia
|Bavaria|Catalonia|Tuscany|Provence|Andalusia|Scotland|Wales|England|Northern Ireland|Quebec|Ontario|California|Texas
|Florida|New England|Midwest|Kashmir|Tibet|Xinjiang|Crimea|Donbas|Gaza|West Bank|Sicily|Sardinia|Corsica|Crete
|Bali|Java|Sumatra|Borneo|Greenland|Alaska|Hawaii|Cornwall|Yorkshire|the Alps|Alps|Andes|Himalayas|Rocky Mountains
|Pyrenees|Danube|Rhine|Thames|Seine|Nile|Amazon River|Mississippi|Yangtze|Ganges|Volga|Mekong|Lake Geneva|Lake Victoria
|Lake Como|Baltic Sea|North Sea|Black Sea|Red Sea|Pacific|Atlantic|Indian Ocean|Arctic|Mount Everest|Kilimanjaro|Mont Blanc`;

/** Landmarks and famous streets and buildings (LOC). */
const EXTRA_LANDMARKS = `Eiffel Tower|Louvre|Big Ben|Tower Bridge|Buckingham Palace|Trafalgar Square|Hyde Park|Central Park|Times Square
|Golden Gate Bridge|Statue of Liberty|Wall Street|Broadway|Fifth Avenue|Champs-Élysées|Brandenburg Gate|Alexanderplatz
|Colosseum|Vatican|Trevi Fountain|Acropolis|Sagrada Família|Red Square|Great Wall|Forbidden City|Tiananmen Square
|Taj Mahal|Shibuya|Table Mountain|Sydney Opera House|Copacabana|Machu Picchu|Niagara Falls|Grand Canyon|Yellowstone
|Heathrow|Gatwick|JFK|O'Hare|Schiphol|Changi|Canary Wharf|Montmartre|Notre-Dame|Westminster|Downing Street|Capitol Hill
|White House|Kremlin Wall|Burj Khalifa|Petra|Stonehenge|Alcatraz|Hollywood Boulevard|Las Ramblas|Gran Vía|Piccadilly Circus`;

/** Nationalities and other adjectives of origin (MISC). */
const EXTRA_NATIONALITIES = `American|British|French|German|Italian|Spanish|Portuguese|Dutch|Belgian|Swiss|Austrian|Swedish|Norwegian|Danish
|Finnish|Icelandic|Irish|Scottish|Welsh|Polish|Czech|Hungarian|Romanian|Bulgarian|Greek|Turkish|Russian|Ukrainian
|Belarusian|Serbian|Croatian|Bosnian|Albanian|Chinese|Japanese|Korean|South Korean|North Korean|Vietnamese|Thai
|Indonesian|Malaysian|Filipino|Indian|Pakistani|Bangladeshi|Afghan|Iranian|Iraqi|Syrian|Israeli|Palestinian|Saudi
|Egyptian|Moroccan|Algerian|Tunisian|Libyan|Nigerian|Ghanaian|Kenyan|Ethiopian|Somali|Ugandan|Tanzanian|Rwandan
|South African|Zimbabwean|Angolan|Congolese|Senegalese|Malian|Cameroonian|Mexican|Canadian|Brazilian|Argentine
|Argentinian|Chilean|Colombian|Peruvian|Venezuelan|Cuban|Jamaican|Haitian|Australian|New Zealander|Kiwi|European
|Asian|African|Latin American|Arab|Scandinavian|Balkan|Nordic|Western|Soviet|Catalan|Basque|Kurdish|Muslim|Christian
|Jewish|Hindu|Buddhist|Sikh|Catholic|Protestant|Orthodox|Olympic|Democrat|Republican|Londoner|Parisian|Berliner`;

/** Events, tournaments, festivals, awards, wars (MISC). */
const EXTRA_EVENTS = `World Cup|Olympics|Olympic Games|Winter Olympics|Summer Olympics|Paralympics|Champions League|Europa League
|Premier League|Bundesliga|La Liga|Serie A|Ligue 1|Super Bowl|World Series|Stanley Cup|NBA Finals|Wimbledon|US Open
|French Open|Australian Open|Roland Garros|Tour de France|Giro d'Italia|Grand Prix|Monaco Grand Prix|Formula One World Championship
|Ryder Cup|Masters|Six Nations|Rugby World Cup|Cricket World Cup|Euro 2024|Copa América|Africa Cup of Nations|Asian Games
|Commonwealth Games|Boston Marathon|London Marathon|New York Marathon|Berlin Marathon|Oscars|Academy Awards|Grammy Awards
|Golden Globes|Emmy Awards|Nobel Prize|Nobel Peace Prize|Booker Prize|Pulitzer Prize|Cannes Film Festival|Berlinale
|Venice Film Festival|Sundance|Glastonbury|Coachella|Eurovision|Eurovision Song Contest|Oktoberfest|Carnival|Mardi Gras
|Web Summit|CES|Davos|World Economic Forum|G7|G20|COP28|Brexit|Cold War|World War II|Second World War|First World War
|Renaissance|Industrial Revolution|Arab Spring|Holocaust|Ramadan|Christmas|Easter|Thanksgiving|Diwali|Hanukkah|Lunar New Year`;

/** Products, software, models (MISC). */
const EXTRA_PRODUCTS = `iPhone|iPad|MacBook|Mac|Apple Watch|AirPods|Galaxy|Galaxy S24|Pixel|Pixel 8|Android|iOS|Windows|Windows 11|Linux
|Ubuntu|Chrome|Firefox|Safari|Office|Excel|Word|PowerPoint|Outlook|Teams|Photoshop|Xbox|PlayStation|PlayStation 5
|Nintendo Switch|Kindle|Alexa|Siri|ChatGPT|Gemini|Copilot|Claude|Llama|Bitcoin|Ethereum|Boeing 737|Airbus A320
|Model 3|Model Y|Prius|Golf|Corolla|Mustang|Land Rover|Big Mac|Coke|Nutella|Lego Star Wars|Minecraft|Fortnite|Tetris
|Zoom|Slack|Photoshop Express|Java|Python|JavaScript|TypeScript|Rust|Kubernetes|Docker|Wi-Fi|Bluetooth|GPS|COVID-19|Omicron`;

/** Works: films, series, games, plays (MISC); faker adds books, songs and albums. */
const EXTRA_WORKS = `Star Wars|The Godfather|Titanic|Avatar|Casablanca|Inception|The Matrix|Jurassic Park|Toy Story|Frozen|Barbie
|Oppenheimer|Parasite|Amélie|Game of Thrones|Breaking Bad|The Crown|Stranger Things|Squid Game|The Office|Friends
|The Simpsons|Succession|Mad Men|Hamlet|Macbeth|Othello|King Lear|Les Misérables|Don Quixote|War and Peace|Ulysses
|Mona Lisa|The Last Supper|Guernica|The Starry Night|Beethoven's Fifth|Bohemian Rhapsody|Thriller|Abbey Road|Harry Potter
|The Lord of the Rings|The Hobbit|Dune|The Great Gatsby|Pride and Prejudice|Moby Dick|Super Mario|Pokémon|Zelda|Halo`;

// ---------------------------------------------------------------------------------------------

const LATIN = /^[\p{Script=Latin}\p{M}][\p{Script=Latin}\p{M}\s.'’&-]*$/u;
const CLEAN_TITLE = /^[\p{L}\p{N}][\p{L}\p{N} ',.&!?-]*$/u;

const bar = (s: string): string[] => s.replace(/\n/g, '').split('|').map((x) => x.trim()).filter((x) => x !== '');
const ws = (s: string): string[] => s.split(/\s+/).filter((x) => x !== '');

function flat(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(flat);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string') return [o.name];
    if (typeof o.value === 'string') return [o.value];
    return Object.values(o).flatMap(flat);
  }
  return [];
}

/** The tier of an entry and a fixed order for sampling. */
const fnv = hashString;

/** At most `n` entries, chosen by hash (stable across faker releases that only add entries). */
function sample(items: readonly string[], n: number): string[] {
  return [...new Set(items)].sort((a, b) => fnv(a) - fnv(b) || (a < b ? -1 : 1)).slice(0, n);
}

const locales = Object.entries(allLocales as Record<string, LocaleDefinition>).filter(([name]) => !/^(en_BORK|base)$/.test(name));
const fromLocales = (get: (d: LocaleDefinition) => unknown, perLocale: number): string[] =>
  locales.flatMap(([, d]) => sample(flat(get(d)).filter((x) => LATIN.test(x)), perLocale));

const en = allLocales.en;
const countryList = Object.values(countries);

const lists: Record<string, string[]> = {
  firstNames: [...fromLocales((d) => d.person?.first_name, 250), ...ws(EXTRA_FIRST)],
  lastNames: [...fromLocales((d) => d.person?.last_name, 250), ...ws(EXTRA_LAST)],
  /** Full names of real people (faker's book authors). */
  people: flat(en.book?.author).filter((x) => LATIN.test(x) && !/ and |&/.test(x) && x.includes(' ')),
  companies: [
    ...bar(EXTRA_COMPANIES),
    ...flat(en.airline?.airline),
    ...flat(en.book?.publisher).filter((x) => CLEAN_TITLE.test(x)),
    ...flat(en.vehicle?.manufacturer),
  ],
  organisations: bar(EXTRA_ORGS),
  clubs: bar(EXTRA_CLUBS),
  media: bar(EXTRA_MEDIA),
  /** Capitals and world cities: drawn more often than the long tail of `cities`. */
  majorCities: [...countryList.map((c) => c.capital).filter((c) => c && LATIN.test(c)), ...bar(EXTRA_CITIES)],
  cities: fromLocales((d) => d.location?.city_name, 120),
  countries: countryList.flatMap((c) => [c.name, ...((c as { alias?: string[] }).alias ?? [])]).filter((c) => LATIN.test(c) && c.length > 2),
  regions: [...fromLocales((d) => d.location?.state, 40), ...flat(en.location?.continent), ...flat(en.location?.county), ...bar(EXTRA_REGIONS)],
  places: [
    ...flat(en.location?.street_name).filter((x) => x.includes(' ') && !/\b[NSEW]$/.test(x)),
    ...flat(en.airline?.airport).filter((x) => LATIN.test(x)),
    ...bar(EXTRA_LANDMARKS),
  ],
  nationalities: [...flat(en.food?.ethnic_category).filter((x) => LATIN.test(x)), ...bar(EXTRA_NATIONALITIES)],
  languages: [...flat(en.location?.language).filter((x) => LATIN.test(x)), ...Object.values(languages).map((l) => l.name).filter((x) => LATIN.test(x))],
  events: bar(EXTRA_EVENTS),
  products: [
    ...flat(en.vehicle?.model).filter((x) => /[A-Za-z]{3}/.test(x)),
    ...bar(EXTRA_PRODUCTS),
  ],
  works: [
    ...flat(en.book?.title),
    ...flat(en.book?.series),
    ...flat(en.music?.song_name),
    ...flat(en.music?.album),
    ...bar(EXTRA_WORKS),
  ].filter((x) => CLEAN_TITLE.test(x) && x.split(' ').length <= 6),
};

/** Ordinary lower-case words (tagged O) that fill the templates' {noun}, {adj} and {job} slots. */
const common: Record<string, string[]> = {
  nouns: flat(en.word?.noun).filter((x) => /^[a-z]+$/.test(x)),
  adjectives: flat(en.word?.adjective).filter((x) => /^[a-z]+$/.test(x)),
  jobs: [...flat(en.person?.job_type), ...flat(en.person?.job_area)].map((x) => x.toLowerCase()).filter((x) => /^[a-z]+$/.test(x)),
};

// The hand set's entity strings: held out, and never part of a training entity.
const handEntities = new Set<string>();
for (const s of readMarkedSentences()) {
  let cur: string[] = [];
  s.tags.forEach((t, i) => {
    if (t.startsWith('B-')) {
      if (cur.length) handEntities.add(cur.join(' '));
      cur = [s.words[i]];
    } else if (t.startsWith('I-')) cur.push(s.words[i]);
    else if (cur.length) {
      handEntities.add(cur.join(' '));
      cur = [];
    }
  });
  if (cur.length) handEntities.add(cur.join(' '));
}
/** An entry's words as the corpus splits them (the hand set's strings are in those words). */
const words = (x: string) => splitWords(x).join(' ');
const handWords = [...handEntities].map((e) => ` ${e} `);
const touchesHandSet = (entry: string) => handWords.some((h) => ` ${words(entry)} `.includes(h));

const heldOutByHash = (entry: string) => fnv(entry.toLowerCase()) % 100 < HELD_OUT_PERCENT;

const out: string[] = [];
const counts: string[] = [];
for (const [name, raw] of Object.entries(lists)) {
  const entries = [...new Set(raw.map((x) => x.replace(/\s+/g, ' ').trim()).filter((x) => x !== '' && !x.includes('|')))].sort();
  const train = entries.filter((e) => !heldOutByHash(e) && !touchesHandSet(e));
  const heldOut = entries.filter((e) => heldOutByHash(e) || touchesHandSet(e));
  out.push(`  ${name}: {\n    train: ${JSON.stringify(train.join('|'))},\n    heldOut: ${JSON.stringify(heldOut.join('|'))},\n  },`);
  counts.push(`${name} ${train.length}/${heldOut.length}`);
}

const commonOut = Object.entries(common).map(([name, raw]) => `  ${name}: ${JSON.stringify([...new Set(raw)].sort().join('|'))},`);

const fakerVersion = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@faker-js/faker/package.json')), 'utf8')).version;
const countriesVersion = JSON.parse(readFileSync(fileURLToPath(new URL('../node_modules/countries-list/package.json', import.meta.url)), 'utf8')).version;
// No `as const` on the lists: their type stays `string`, so that dist/data/lexicon.d.ts does not
// repeat every list as a literal type (it weighed as much as the lists themselves, 235 KB).
const text = `// Generated by scripts/make-lexicon.ts from @faker-js/faker ${fakerVersion} (MIT), countries-list ${countriesVersion} (MIT)
// and the script's own lists. Do not edit: change the script and run \`npx tsx scripts/make-lexicon.ts\`.
// Each list is '|'-separated; \`heldOut\` entries (about ${HELD_OUT_PERCENT}%, by hash) never occur in the training split.

/** The name lists of the synthetic corpus (train / held-out tiers). */
export const LEXICON = {
${out.join('\n')}
};

/** Ordinary words (O) for the templates' lower-case slots; every split uses all of them. */
export const COMMON_WORDS = {
${commonOut.join('\n')}
};

/**
 * Entity strings of examples/real-sentences: no entity of the training split contains one (as
 * whole words), so that hand set measures how the model tags names it has never seen.
 */
export const TRAIN_EXCLUDED: readonly string[] = ${JSON.stringify([...handEntities].sort())};
`;

if (process.argv.includes('--check')) {
  const same = readFileSync(TARGET, 'utf8') === text;
  console.log(same ? `${TARGET} is up to date` : `${TARGET} is out of date: run npx tsx scripts/make-lexicon.ts`);
  process.exit(same ? 0 : 1);
}
writeFileAtomic(TARGET, text);
console.log(`wrote ${TARGET} (${(text.length / 1024).toFixed(0)} KiB): ${counts.join(', ')}`);
