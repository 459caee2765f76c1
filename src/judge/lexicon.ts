/**
 * The built-in judge's emotion lexicon, written for this project from everyday English usage (not
 * taken from any published lexicon or derived from a labelled data set).
 *
 * Format: per emotion, space-separated entries by strength (strong = 2, normal = 1, weak = 0.5).
 * `_` joins the words of a phrase ("fed_up"); a trailing `*` matches any ending ("annoy*" →
 * annoyed, annoying, annoyance). An exact entry always wins over a `*` entry, and an entry listed
 * under NO_EMOTION blocks a `*` match ("hopeless" is not "hope*"). A word may carry several
 * emotions ("creepy" is fear and disgust). Phrases may contain "not" (contractions are split by
 * textTokens.ts, so "can't wait" is written "can_not_wait"); a phrase is never itself negated.
 */
import type { Emotion } from '../emotions.js';

interface EntryGroups {
  readonly strong?: string;
  readonly normal?: string;
  readonly weak?: string;
}

export const EMOTION_ENTRIES: Record<Emotion, EntryGroups> = {
  anger: {
    strong: `furious enraged livid outraged infuriat* seething fuming irate wrath* hatred hate hated hates hateful hating
      pissed pissed_off fuck_you fuck_off screw_you shut_up how_dare fed_up sick_of sick_and_tired_of had_enough
      piss_off piss_me_off pisses_me_off pissed_me_off go_to_hell motherfuck*`,
    normal: `angry angrily anger angered angers rage raging enrage* annoy* irritat* frustrat* resent* hostile bitter bitterly
      outrage* mad_at madder aggravat* exasperat* indignant incens* offend* offensive insult* disrespect* rude rudely
      idiot* stupid stupidity moron* dumbass imbecile jerk asshole* bastard* prick scumbag liar liars lying
      ridiculous absurd pathetic bullshit bs damn_it dammit goddamn* god_damn wtf fuck* ffs dislike disliked dislikes suck sucks sucked
      blame* unacceptable unfair injustice disgrace* shame_on yell* shout* screw_this screw_that grr* argh* hmph
      tired_of so_done grudge bigot bigots bigoted spite* vengeance revenge furor temper tantrum snapped rant* pisses`,
    weak: `ugh damn dumb crap bloody hell mad wrong worst terrible awful horrible hell_no no_way_in_hell
      whatever nonsense shit`,
  },
  sadness: {
    strong: `heartbroken heartbreak* heartbreaking devastat* grief griev* mourn* depressed depressing depression miserable
      misery despair* sorrow* tragic tragedy tragically broke_my_heart breaks_my_heart break_my_heart crushed
      condolences rest_in_peace rip passed_away my_heart_goes_out sorry_for_your_loss sobbing sobbed inconsolable
      suicidal anguish want_to_die wanna_die kill_myself`,
    normal: `sad sadly sadness saddened saddens sadder saddest unhappy unhappiness upset upsetting cry cried cries crying
      tears teary tearful weep* sob lonely loneliness hurt hurts hurting hurtful pain pains painful painfully
      disappoint* regret* sorry apologi* gloom* hopeless hopelessly helpless dejected downcast melancholy somber sombre
      let_down feel_bad feel_so_bad felt_bad feel_awful heavy_heart unfortunate unfortunately poor_thing poor_guy
      poor_girl poor_kid poor_baby ashamed shame embarrass* humiliat* guilt guilty remorse* miss_you miss_him miss_her
      miss_them miss_it i_miss missing_you losing_him losing_her alone lonesome heartache bummer bummed
      too_bad what_a_shame such_a_shame sigh sighs suffer* struggl* hopelessness worthless empty grim bleak
      tragedies`,
    weak: `poor lost loss miss missed tired exhausted awful terrible worst rough unlucky bad awkward`,
  },
  happiness: {
    strong: `ecstatic overjoyed thrilled delighted elated euphoric blissful love loved loves loving lovely adore adored adores
      ador* wonderful fantastic amazing awesome excellent brilliant marvelous marvellous thank_you thank_u thanks thx ty
      thankful grateful gratitude appreciate* congrat* well_done yay hooray hurray woohoo woo yippee lol lolol lmao lmfao
      rofl hah* heh* can_not_wait could_not_be_happier never_been_happier so_happy best_day made_my_day love_it
      love_this love_you`,
    normal: `happy happily happiness glad gladly joy joyful joyous joyfully cheerful cheer cheers cheering pleased pleasure
      pleasant enjoy* fun funny funnier funniest hilarious laugh* giggl* smil* grin grinning great greatest beautiful
      beautifully gorgeous pretty_cool cute adorable sweet sweetest best perfect perfectly excited exciting excitement
      excite* proud pride relief relieved hope hoped hopes hoping hopeful hopefully optimis* bless* favorite favourite
      fabulous superb terrific impressive impressed admir* glorious celebrat* appreciated welcome you_are_welcome
      good_luck have_fun good_job nice_job great_job nice_work good_work good_for_you lucky fortunate heavenly
      kudos bravo delight* wholesome charming stunning incredible legend legendary inspiring inspired
      respect absolutely_right good_point fair_point so_true satisf* like_it i_like i_love pumped stoked psyched aw aww
      cutest cuter nicest nicer sweeter happier happiest luckily thankfully
      yummy delicious tasty`,
    weak: `good nice cool ok okay liked likes better interesting well_said smart kind kindly wish agree agreed yes yeah yep
      fine content`,
  },
  fear: {
    strong: `terrified terrifying terrify* petrified panic* panick* horrified horrifying dread* nightmare* scared_to_death
      scared_shitless freaking_out freak_out freaked_out frightened frightening paranoid phobia* traumati*`,
    normal: `afraid scared scary scare scares scaring fear feared fearing fears fearful fright* anxious anxiety anxieties
      nervous nervously nervousness worry worried worries worrying worrisome uneasy unease tense tension creepy creeps
      spooky alarm* threat* threaten* danger dangerous unsafe insecure insecurity shaking shaky trembl* shiver*
      oh_no uh_oh yikes eek concern* concerning what_if horror horrors dreadful scarier scariest risky hazard* intimidat*
      stress stressed stressful overwhelmed overwhelming apprehensive jittery jumpy spooked haunt* vulnerable
      doom* doomed ominous`,
    weak: `careful risk unsure hesitant nervy creep pressure desperate hide hiding run_away helpless`,
  },
  surprise: {
    strong: `wow woah whoa omg omfg oh_my_god oh_my_gosh oh_my_goodness oh_my no_way unbelievable can_not_believe
      could_not_believe astonish* astound* stunned speechless shocked shocking shock holy_shit holy_crap holy_cow
      holy_moly jaw_dropped jaw_dropping mind_blown mind_blowing blew_my_mind what_the_heck what_on_earth`,
    normal: `surprise surprised surprising surprisingly amazed amazement unexpected unexpectedly suddenly incredible
      who_knew did_not_know had_no_idea never_knew never_thought never_expected
      realiz* realis* turns_out turned_out huh wait_what really seriously confus* confusing puzzl* baffl* bewilder*
      perplex* curious curiosity wonder wondered wondering weird weirdly strange strangely bizarre odd oddly
      intriguing startl* gasp* whoah wtf what_the_hell what_the_fuck how_come
      apparently did_not_expect out_of_nowhere`,
    weak: `hmm hm first_time interesting`,
  },
  disgust: {
    strong: `disgust* gross grossed revolting revolted repulsive repuls* vile nasty sickening nauseat* make_me_sick
      makes_me_sick made_me_sick yuck yuk ew eww ewww ick icky barf puke puking vomit*`,
    normal: `grossly foul filthy filth rotten putrid slimy creepy creep* despicable contempt* repugnant abhorrent loath*
      cringe* cringy cringey pervert* perv degenerate* scum scumbag sleazy sleaze trashy gag gagging stinks stinky
      stench smelly disturbing disturbed distasteful tasteless obscene appalling appalled sick sicko horrible awful
      terrible horrendous atrocious hideous ugly dirty shameful shameless cruel inhumane toxic`,
    weak: `trash garbage ugh bad crap shit gross_out weird`,
  },
};

/** Words that would otherwise match a `*` entry but express none of these emotions. */
export const NO_EMOTION = `fearless hopelessly_romantic scarecrow concerning_the painting paintings painter realizable
  creeping haunted_house laughable_excuse`;

/** Emoticons and emoji, by emotion (normal strength). */
export const EMOTICON_ENTRIES: Record<Emotion, string> = {
  anger: '>:( 😠 😡 🤬 💢 👿 😒 🙄 😤',
  sadness: ':( :-( ): :\'( :/ :-/ T_T ;_; </3 😢 😭 😞 😔 ☹ 🙁 😥 😿 💔 😪',
  happiness: ':) :-) (: :D :-D ;) ;-) xD XD :P :p <3 😀 😁 😂 🤣 😃 😄 😅 😆 😊 😍 🥰 😘 🙂 😎 🥳 ❤ 💕 💖 💗 💙 💜 🧡 💛 💚 👍 👏 🙏 🎉 ☺ 😉 😋 😜 🤗 🙌',
  fear: 'D: 😨 😰 😱 😧 😬 😟 😖',
  surprise: ':O :o 😮 😲 😯 🤯 😳 😵 ❗ ‼',
  disgust: '🤢 🤮 -_-',
};

/** Words that negate an emotion cue within {@link NEGATION_SCOPE} words after them. */
export const NEGATORS = new Set(['not', 'no', 'never', 'nobody', 'none', 'nothing', 'neither', 'nor', 'without', 'hardly', 'barely', 'scarcely', 'nowhere', 'lack', 'lacks', 'lacking', 'nope']);

/** How many words a negator reaches forward ("not at all happy": 3 words). */
export const NEGATION_SCOPE = 3;

/** Multipliers of the cue that follows within two words: intensifiers > 1, diminishers < 1. */
export const MODIFIERS: ReadonlyMap<string, number> = new Map<string, number>([
  ...'very really so extremely incredibly super totally absolutely completely utterly truly deeply terribly awfully insanely highly seriously genuinely especially particularly exceptionally ridiculously unbelievably too such most damn fucking freaking bloody mega ultra hella'
    .split(' ')
    .map((w): [string, number] => [w, 1.6]),
  ...'quite pretty'.split(' ').map((w): [string, number] => [w, 1.2]),
  // "never been this sad": the negator intensifies here.
  ...'never_been_this never_been_so never_been_more never_felt_so never_felt_this never_felt_more never_been_as'.split(' ').map((w): [string, number] => [w, 1.6]),
  ...'slightly somewhat mildly fairly little bit kinda sorta kind_of sort_of a_bit a_little a_tad tad marginally partly almost'
    .split(' ')
    .map((w): [string, number] => [w, 0.5]),
]);
